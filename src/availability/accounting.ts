import { RTT_BINS, rttBin } from './rtt-bins.js'

/** What a device's time is counted as. */
export type Category = 'up' | 'down' | 'unreachable'
/** Why a device was out: its own failure, its whole site, or its uplink (issue 13 decides the last two). */
export type Cause = 'down' | 'site' | 'unreachable'

export const HOUR_MS = 3_600_000

/** Where a device sits in the inventory, as the rollups and outages record it. */
export interface DeviceRefs {
  location_id: number | null
  type_id: number | null
  rack: string | null
}

/** The state tracker's verdict after a result (src/state/device-state.ts, plus `unreachable` from issue 13). */
export interface StateView {
  state: string
  /** first failed result of the outage underneath, when the up/down state is down */
  down_since: number | null
}

export interface Outage extends DeviceRefs {
  device_id: number
  /** epoch ms of the first failed ping of the run that made the device down */
  start: number
  /** epoch ms of the first reply of the run that made it up again; null while open */
  end: number | null
  cause: Cause
  /** some of its results fell in the device's maintenance */
  maintenance: boolean
}

/** One device-hour's figures; additive, so a row can be written in parts. */
export interface Rollup extends DeviceRefs {
  hour: number
  device_id: number
  up_s: number
  down_s: number
  unreachable_s: number
  maintenance_s: number
  sent: number
  answered: number
  rtt_sum: number
  /** Infinity / -Infinity while no reply (kept numbers: a field that changes type slows every access) */
  rtt_min: number
  rtt_max: number
  hist: Uint32Array
}

export interface AccountingResult {
  device_id: number
  at: number
  success: boolean
  rtt_ms: number | null
}

export interface AccountingDeps {
  /** seconds each result stands for (PING_INTERVAL) */
  intervalS: number
  /** the tracker's state after this result (undefined: no verdict yet) */
  stateOf: (deviceId: number) => StateView | undefined
  /** the device is in maintenance now (issue 13's maintenance module; not in maintenance by default) */
  maintenanceOf?: (deviceId: number) => boolean
  /** why a device that goes out is out (issue 13's site detection; by default its own failure) */
  causeOf?: (deviceId: number, category: Category, at: number) => Cause
  refsOf: (deviceId: number) => DeviceRefs
}

/** A result whose seconds wait until its run is decided (a failure while up, a reply while down). */
interface Pending { at: number, maint: boolean }

interface Track {
  cat: Category | null
  pending: Pending[]
  outage: Outage | null
  /**
   * The rollup row this device's last result went to, its hour and the generation of `hours` it
   * belongs to: nearly every result goes to the same row as the one before, and two map lookups
   * (hour, then device) per result were a third of this stage's time at 10,000 devices
   */
  acc: Rollup | null
  accHour: number
  accGen: number
}

const newTrack = (cat: Category | null, outage: Outage | null): Track => ({ cat, pending: [], outage, acc: null, accHour: NaN, accGen: -1 })

/** a streak longer than this without a verdict is taken as the current category (bounds memory) */
const PENDING_MAX = 10_000

export function categoryOf (v: StateView | undefined): Category | null {
  if (v === undefined) return null
  switch (v.state) {
    case 'up': return 'up'
    case 'unreachable': return 'unreachable'
    case 'unknown': return null
    // flapping: what the up/down state underneath says
    case 'flapping': return v.down_since === null ? 'up' : 'down'
    default: return 'down'
  }
}

/**
 * Outages and hourly rollups from the results, one device at a time, in time order.
 *
 * The seconds of a result are those of the state it belongs to once its run is decided: the failures
 * that made a device down count as down from the first of them (as the outage does), and the replies
 * that brought it back as up from the first reply. A failure streak that ends before
 * DOWN_AFTER_FAILURES was up all along. So the rollups' down time and the outages' durations agree.
 */
export class Accounting {
  private readonly tracks = new Map<number, Track>()
  private hours = new Map<number, Map<number, Rollup>>()
  private changed = new Set<Outage>()
  /** bumped when `hours` is handed out and replaced: a track's cached rollup row is then stale */
  private gen = 0
  private readonly maintenanceOf: (id: number) => boolean
  private readonly causeOf: (id: number, c: Category, at: number) => Cause

  constructor (private readonly deps: AccountingDeps) {
    this.maintenanceOf = deps.maintenanceOf ?? (() => false)
    this.causeOf = deps.causeOf ?? ((_id, c) => c === 'unreachable' ? 'unreachable' : 'down')
  }

  /** Outages still open from before a restart: they go on, not a second one. */
  resume (open: Outage[]): void {
    for (const o of open) this.tracks.set(o.device_id, newTrack(o.cause === 'unreachable' ? 'unreachable' : 'down', { ...o }))
  }

  /** One result, after the state tracker has seen it. */
  add (r: AccountingResult): void {
    this.addResult(r.device_id, r.at, r.success, r.rtt_ms)
  }

  /** The same as add, without a result object (the live path: one call per result, 10,000s per cycle). */
  addResult (id: number, at: number, success: boolean, rttMs: number | null): void {
    let t = this.tracks.get(id)
    if (t === undefined) {
      t = newTrack(null, null)
      this.tracks.set(id, t)
    }
    const maint = this.maintenanceOf(id)
    const acc = this.rollupOf(t, at, id)
    acc.sent++
    if (success) {
      acc.answered++
      const ms = rttMs ?? 0
      acc.rtt_sum += ms
      if (ms < acc.rtt_min) acc.rtt_min = ms
      if (ms > acc.rtt_max) acc.rtt_max = ms
      acc.hist[rttBin(ms)]++
    }
    const view = this.deps.stateOf(id)
    const next = categoryOf(view)
    if (next !== null && next !== t.cat) {
      const first = t.pending.length > 0 ? t.pending[0].at : at
      if (t.outage !== null) this.endOutage(t, first)
      if (next !== 'up') {
        const start = next === 'down' && view?.down_since != null && t.cat !== 'unreachable' ? Math.min(view.down_since, first) : first
        t.outage = { device_id: id, start, end: null, cause: this.causeOf(id, next, at), maintenance: false, ...this.deps.refsOf(id) }
      }
      t.cat = next
      this.settle(t, id)
      this.count(t, id, at, maint)
      if (t.outage !== null) this.changed.add(t.outage)
      return
    }
    const consistent = t.cat !== null && (success ? t.cat === 'up' : t.cat !== 'up')
    if (consistent || t.pending.length >= PENDING_MAX) {
      this.settle(t, id)
      this.count(t, id, at, maint, acc)
    } else {
      t.pending.push({ at, maint })
    }
  }

  /** Outages begun, ended or changed since the last call (to be written). */
  takeOutageChanges (): Outage[] {
    const out = [...this.changed]
    this.changed.clear()
    return out
  }

  /** Every rollup row accumulated since the last call, and forgets them (they are additive). */
  takeRollups (): Rollup[] {
    const out: Rollup[] = []
    for (const m of this.hours.values()) for (const r of m.values()) out.push(r)
    this.hours = new Map()
    this.gen++
    return out
  }

  /** rows waiting to be written */
  get size (): number {
    let n = 0
    for (const m of this.hours.values()) n += m.size
    return n
  }

  openOutage (deviceId: number): Outage | null {
    return this.tracks.get(deviceId)?.outage ?? null
  }

  /** Forgets devices that left the inventory; their open outages end at `at`. */
  retain (ids: Set<number>, at: number): void {
    for (const [id, t] of this.tracks) {
      if (ids.has(id)) continue
      if (t.outage !== null) this.endOutage(t, at)
      this.tracks.delete(id)
    }
  }

  private endOutage (t: Track, end: number): void {
    const o = t.outage as Outage
    o.end = Math.max(end, o.start)
    this.changed.add(o)
    t.outage = null
  }

  /** the pending results take the (new) current category */
  private settle (t: Track, id: number): void {
    if (t.pending.length === 0) return
    for (const p of t.pending) this.count(t, id, p.at, p.maint)
    t.pending = []
  }

  private count (t: Track, id: number, at: number, maint: boolean, rollup?: Rollup): void {
    const acc = rollup ?? this.rollupOf(t, at, id)
    const s = this.deps.intervalS
    if (t.outage !== null && maint && !t.outage.maintenance) {
      t.outage.maintenance = true
      this.changed.add(t.outage)
    }
    if (maint) acc.maintenance_s += s
    else if (t.cat === 'up') acc.up_s += s
    else if (t.cat === 'unreachable') acc.unreachable_s += s
    else acc.down_s += s
  }

  /** the device's rollup row of the hour of `at`, through the track's cache */
  private rollupOf (t: Track, at: number, id: number): Rollup {
    const hour = Math.floor(at / HOUR_MS) * HOUR_MS
    if (t.acc !== null && t.accHour === hour && t.accGen === this.gen) return t.acc
    const r = this.rollup(hour, id)
    t.acc = r
    t.accHour = hour
    t.accGen = this.gen
    return r
  }

  private rollup (hour: number, id: number): Rollup {
    let m = this.hours.get(hour)
    if (m === undefined) {
      m = new Map()
      this.hours.set(hour, m)
    }
    let r = m.get(id)
    if (r === undefined) {
      const refs = this.deps.refsOf(id)
      // every field spelled out: a spread here made the objects slow to read and write (measured)
      r = { hour, device_id: id, location_id: refs.location_id, type_id: refs.type_id, rack: refs.rack, up_s: 0, down_s: 0, unreachable_s: 0, maintenance_s: 0, sent: 0, answered: 0, rtt_sum: 0, rtt_min: Infinity, rtt_max: -Infinity, hist: new Uint32Array(RTT_BINS) }
      m.set(id, r)
    }
    return r
  }
}
