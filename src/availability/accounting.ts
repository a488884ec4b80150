import { IdSlots } from '../inventory/device-index.js'
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

/** the largest count of an hour's RTT bin (Uint16Array) */
const HIST_MAX = 0xFFFF

/** columns grow by half: doubling left up to half of them unused (65,536 rows for 50,000 devices) */
const GROWTH = 1.5

/** a device's category as a column value (0: no verdict yet) */
const CAT: Array<Category | null> = [null, 'up', 'down', 'unreachable']
const catCode = (c: Category | null): number => c === null ? 0 : c === 'up' ? 1 : c === 'down' ? 2 : 3

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
 * One hour's rollup rows as columns, a row per device that had a result in it, found by the device's
 * slot. An object per device-hour (17 fields, boxed doubles, its own Uint32Array for the bins) and a
 * track object per device were 35 MB of heap at 50,000 devices (heap snapshot of the bench); these
 * are ~190 bytes a device-hour, outside the JS heap, and the Rollup objects the store writes are made
 * only when a flush takes the rows, a chunk at a time.
 */
export class HourRollups {
  n = 0
  /** slot → row, -1 when the device has none in this hour */
  private rowOf: Int32Array
  deviceId: Float64Array
  refs: DeviceRefs[] = []
  upS: Float64Array
  downS: Float64Array
  unreachableS: Float64Array
  maintenanceS: Float64Array
  sent: Uint32Array
  answered: Uint32Array
  rttSum: Float64Array
  rttMin: Float64Array
  rttMax: Float64Array
  /**
   * RTT_BINS counts per row, 16 bits: a device-hour has at most 36,000 results (PING_INTERVAL 0.1 s),
   * and 32-bit counts were 2.8 MB more per hour at 50,000 devices; they stop at HIST_MAX all the same
   */
  hist: Uint16Array

  constructor (public hour: number, slots: number, capacity: number) {
    this.rowOf = new Int32Array(Math.max(slots, 16)).fill(-1)
    const c = Math.max(capacity, 16)
    this.deviceId = new Float64Array(c)
    this.upS = new Float64Array(c)
    this.downS = new Float64Array(c)
    this.unreachableS = new Float64Array(c)
    this.maintenanceS = new Float64Array(c)
    this.sent = new Uint32Array(c)
    this.answered = new Uint32Array(c)
    this.rttSum = new Float64Array(c)
    this.rttMin = new Float64Array(c)
    this.rttMax = new Float64Array(c)
    this.hist = new Uint16Array(c * RTT_BINS)
  }

  /** rows for as many devices as it was made for */
  get capacity (): number {
    return this.deviceId.length
  }

  /** Empties it for another hour (a flush's rows, once written: fresh memory costs a page fault per 4 KiB). */
  reset (hour: number): void {
    this.hour = hour
    this.rowOf.fill(-1)
    const n = this.n
    this.n = 0
    this.refs = []
    for (const a of [this.upS, this.downS, this.unreachableS, this.maintenanceS, this.rttSum]) a.fill(0, 0, n)
    this.sent.fill(0, 0, n)
    this.answered.fill(0, 0, n)
    this.hist.fill(0, 0, n * RTT_BINS)
  }

  /** the row of a slot, -1 when it has none yet */
  find (slot: number): number {
    return slot < this.rowOf.length ? this.rowOf[slot] : -1
  }

  /** a new, empty row for a slot */
  add (slot: number, deviceId: number, refs: DeviceRefs): number {
    if (slot >= this.rowOf.length) {
      const grown = new Int32Array(Math.max(slot + 1, this.rowOf.length * 2)).fill(-1)
      grown.set(this.rowOf)
      this.rowOf = grown
    }
    const r = this.n++
    if (r === this.deviceId.length) this.grow(Math.ceil(r * GROWTH))
    this.rowOf[slot] = r
    this.deviceId[r] = deviceId
    this.refs.push(refs)
    this.rttMin[r] = Infinity
    this.rttMax[r] = -Infinity
    return r
  }

  /** adds row `r` of another hour's rollups (the same hour) to row `row`: the figures are additive */
  mergeRow (row: number, from: HourRollups, r: number): void {
    this.upS[row] += from.upS[r]
    this.downS[row] += from.downS[r]
    this.unreachableS[row] += from.unreachableS[r]
    this.maintenanceS[row] += from.maintenanceS[r]
    this.sent[row] += from.sent[r]
    this.answered[row] += from.answered[r]
    this.rttSum[row] += from.rttSum[r]
    this.rttMin[row] = Math.min(this.rttMin[row], from.rttMin[r])
    this.rttMax[row] = Math.max(this.rttMax[row], from.rttMax[r])
    for (let b = 0; b < RTT_BINS; b++) this.hist[row * RTT_BINS + b] = Math.min(HIST_MAX, this.hist[row * RTT_BINS + b] + from.hist[r * RTT_BINS + b])
  }

  /** rows [from, to) as the store writes them */
  rollups (from: number, to: number): Rollup[] {
    const out: Rollup[] = []
    for (let r = from; r < Math.min(to, this.n); r++) {
      const refs = this.refs[r]
      out.push({ hour: this.hour, device_id: this.deviceId[r], location_id: refs.location_id, type_id: refs.type_id, rack: refs.rack, up_s: this.upS[r], down_s: this.downS[r], unreachable_s: this.unreachableS[r], maintenance_s: this.maintenanceS[r], sent: this.sent[r], answered: this.answered[r], rtt_sum: this.rttSum[r], rtt_min: this.rttMin[r], rtt_max: this.rttMax[r], hist: Uint32Array.from(this.hist.subarray(r * RTT_BINS, (r + 1) * RTT_BINS)) })
    }
    return out
  }

  private grow (capacity: number): void {
    const f64 = (a: Float64Array) => { const b = new Float64Array(capacity); b.set(a); return b }
    const u32 = (a: Uint32Array) => { const b = new Uint32Array(capacity); b.set(a); return b }
    const u16 = (a: Uint16Array, k: number) => { const b = new Uint16Array(capacity * k); b.set(a); return b }
    this.deviceId = f64(this.deviceId)
    this.upS = f64(this.upS)
    this.downS = f64(this.downS)
    this.unreachableS = f64(this.unreachableS)
    this.maintenanceS = f64(this.maintenanceS)
    this.rttSum = f64(this.rttSum)
    this.rttMin = f64(this.rttMin)
    this.rttMax = f64(this.rttMax)
    this.sent = u32(this.sent)
    this.answered = u32(this.answered)
    this.hist = u16(this.hist, RTT_BINS)
  }
}

/** Rollup rows taken from the accounting (see takeRollupSet), handed out a chunk at a time. */
export class RollupSet {
  readonly size: number
  private readonly starts: number[] = []

  constructor (private readonly hours: HourRollups[], private readonly onRelease: (h: HourRollups[]) => void = () => {}) {
    let n = 0
    for (const h of hours) {
      this.starts.push(n)
      n += h.n
    }
    this.size = n
  }

  /** the hours' columns, until release (Accounting.restore reads them back) */
  taken (): readonly HourRollups[] {
    return this.hours
  }

  /** The rows were written (or given up): their columns may be reused. No rows after this. */
  release (): void {
    this.onRelease(this.hours)
    this.hours.length = 0
  }

  /** rows [from, to) of the set, in hour order, then in the order the devices first had a result */
  rows (from: number, to: number): Rollup[] {
    const out: Rollup[] = []
    for (let k = 0; k < this.hours.length; k++) {
      const h = this.hours[k]
      const a = Math.max(from - this.starts[k], 0)
      const b = Math.min(to - this.starts[k], h.n)
      if (a < b) for (const r of h.rollups(a, b)) out.push(r)
    }
    return out
  }
}

/**
 * Outages and hourly rollups from the results, one device at a time, in time order.
 *
 * The seconds of a result are those of the state it belongs to once its run is decided: the failures
 * that made a device down count as down from the first of them (as the outage does), and the replies
 * that brought it back as up from the first reply. A failure streak that ends before
 * DOWN_AFTER_FAILURES was up all along. So the rollups' down time and the outages' durations agree.
 *
 * Each device has a slot; its category, open outage and pending results are columns by slot.
 */
export class Accounting {
  private readonly slots = new IdSlots()
  private readonly free: number[] = []
  private slotCount = 0
  private readonly idOf: number[] = []
  private cat = new Uint8Array(64)
  private outage: Array<Outage | null> = []
  /** nearly always null: results waiting for a verdict */
  private pending: Array<Pending[] | null> = []
  private hours = new Map<number, HourRollups>()
  /** devices a cycle carries (see reserve): the rows an hour will need */
  private expected = 0
  /** the columns of the last flush, released after it wrote them: the next hours reuse them */
  private spare: HourRollups[] = []
  /** the hour the last result went to: nearly every result goes to the same one */
  private current: HourRollups | null = null
  private changed = new Set<Outage>()
  private readonly maintenanceOf: (id: number) => boolean
  private readonly causeOf: (id: number, c: Category, at: number) => Cause

  constructor (private readonly deps: AccountingDeps) {
    this.maintenanceOf = deps.maintenanceOf ?? (() => false)
    this.causeOf = deps.causeOf ?? ((_id, c) => c === 'unreachable' ? 'unreachable' : 'down')
  }

  /** Outages still open from before a restart: they go on, not a second one. */
  resume (open: Outage[]): void {
    for (const o of open) {
      const s = this.slotOf(o.device_id)
      this.cat[s] = catCode(o.cause === 'unreachable' ? 'unreachable' : 'down')
      this.outage[s] = { ...o }
      this.pending[s] = null
    }
  }

  /** One result, after the state tracker has seen it. */
  add (r: AccountingResult): void {
    this.addResult(r.device_id, r.at, r.success, r.rtt_ms)
  }

  /**
   * A cycle of `devices` results is coming. An hour's columns are then made for that many rows at
   * once: made for the devices seen so far, the first hour's began at 16 rows and grew by half to
   * 50,000, and the discarded columns (~2× the final 6.6 MB) were all alive at the start-up's peak.
   */
  reserve (devices: number): void {
    this.expected = devices
    if (devices > this.cat.length) this.growCat(devices)
  }

  /** The same as add, without a result object (the live path: one call per result, 10,000s per cycle). */
  addResult (id: number, at: number, success: boolean, rttMs: number | null): void {
    const s = this.slotOf(id)
    const maint = this.maintenanceOf(id)
    const h = this.hourOf(at)
    const r = this.rowIn(h, s)
    h.sent[r]++
    if (success) {
      h.answered[r]++
      const ms = rttMs ?? 0
      h.rttSum[r] += ms
      if (ms < h.rttMin[r]) h.rttMin[r] = ms
      if (ms > h.rttMax[r]) h.rttMax[r] = ms
      const bin = r * RTT_BINS + rttBin(ms)
      if (h.hist[bin] < HIST_MAX) h.hist[bin]++
    }
    const view = this.deps.stateOf(id)
    const next = categoryOf(view)
    const cat = CAT[this.cat[s]]
    const pending = this.pending[s]
    if (next !== null && next !== cat) {
      const first = pending !== null ? pending[0].at : at
      if (this.outage[s] !== null) this.endOutage(s, first)
      if (next !== 'up') {
        const start = next === 'down' && view?.down_since != null && cat !== 'unreachable' ? Math.min(view.down_since, first) : first
        this.outage[s] = { device_id: id, start, end: null, cause: this.causeOf(id, next, at), maintenance: false, ...this.deps.refsOf(id) }
      }
      this.cat[s] = catCode(next)
      this.settle(s)
      this.count(s, at, maint)
      const o = this.outage[s]
      if (o !== null) this.changed.add(o)
      return
    }
    const consistent = cat !== null && (success ? cat === 'up' : cat !== 'up')
    if (consistent || (pending !== null && pending.length >= PENDING_MAX)) {
      this.settle(s)
      this.count(s, at, maint, h, r)
    } else if (pending === null) {
      this.pending[s] = [{ at, maint }]
    } else {
      pending.push({ at, maint })
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
    const set = this.takeRollupSet()
    return set.rows(0, set.size)
  }

  /** The same, as a set whose rows are made a chunk at a time (a flush of 50,000 rows at once was ~25 MB of objects). */
  takeRollupSet (): RollupSet {
    const set = new RollupSet([...this.hours.values()], (hours) => { this.spare = hours.slice(0, 2) })
    this.hours = new Map()
    this.current = null
    return set
  }

  /**
   * Gives back what a flush took and could not write (the store failed): merged, by device, into the
   * hours not yet taken, so the next flush writes it with what came meanwhile. Merged rather than
   * kept aside as sets: a failing store then holds one row per device-hour, not one per failed flush.
   */
  restore (set: RollupSet, outages: Outage[]): void {
    this.restoreOutages(outages)
    for (const from of set.taken()) {
      let into = this.hours.get(from.hour)
      if (into === undefined) {
        into = new HourRollups(from.hour, this.slotCount, Math.max(this.slots.size, from.n))
        this.hours.set(from.hour, into)
      }
      for (let r = 0; r < from.n; r++) {
        const id = from.deviceId[r]
        let s = this.slots.get(id)
        // a device that left the inventory meanwhile keeps its row, under a slot of its own that is
        // freed at once (as retain does: not reused while an hour not yet taken points at it)
        if (s === -1) s = this.detachedSlot(id)
        const row = into.find(s)
        into.mergeRow(row === -1 ? into.add(s, id, from.refs[r]) : row, from, r)
      }
    }
  }

  /** outage changes a write could not store: they go with the next write */
  restoreOutages (outages: Outage[]): void {
    for (const o of outages) this.changed.add(o)
  }

  /** rows waiting to be written */
  get size (): number {
    let n = 0
    for (const h of this.hours.values()) n += h.n
    return n
  }

  openOutage (deviceId: number): Outage | null {
    const s = this.slots.get(deviceId)
    return s === -1 ? null : this.outage[s]
  }

  /** Forgets devices that left the inventory; their open outages end at `at`. */
  retain (ids: Set<number>, at: number): void {
    for (const [id, s] of [...this.slots.entries()]) {
      if (ids.has(id)) continue
      if (this.outage[s] !== null) this.endOutage(s, at)
      this.slots.delete(id)
      this.cat[s] = 0
      this.pending[s] = null
      // a row of this hour stays with the slot: it is written at the next flush, under the old id
      this.free.push(s)
    }
  }

  private slotOf (id: number): number {
    const s = this.slots.get(id)
    if (s !== -1) return s
    // a freed slot is reused only once no row of the hours not yet taken points at it
    const slot = this.free.length > 0 && this.hours.size === 0 ? this.free.pop() as number : this.slotCount++
    this.initSlot(slot, id)
    this.slots.set(id, slot)
    return slot
  }

  /** a slot for rows only, of a device no longer held (see restore) */
  private detachedSlot (id: number): number {
    const s = this.slotCount++
    this.initSlot(s, id)
    this.free.push(s)
    return s
  }

  private initSlot (s: number, id: number): void {
    if (s >= this.cat.length) this.growCat(s * 2)
    this.idOf[s] = id
    this.cat[s] = 0
    this.outage[s] = null
    this.pending[s] = null
  }

  private growCat (size: number): void {
    const grown = new Uint8Array(size)
    grown.set(this.cat)
    this.cat = grown
  }

  /** the slot's row in an hour, added on its first result there */
  private rowIn (h: HourRollups, s: number): number {
    const r = h.find(s)
    if (r !== -1) return r
    const id = this.idOf[s]
    return h.add(s, id, this.deps.refsOf(id))
  }

  private hourOf (at: number): HourRollups {
    const hour = Math.floor(at / HOUR_MS) * HOUR_MS
    const c = this.current
    if (c !== null && c.hour === hour) return c
    let h = this.hours.get(hour)
    if (h === undefined) {
      const spare = this.spare.pop()
      const rows = Math.max(this.slots.size, this.expected)
      if (spare !== undefined && spare.capacity >= rows) {
        spare.reset(hour)
        h = spare
      } else {
        // as many rows as there are devices: one allocation, not a doubling series
        h = new HourRollups(hour, Math.max(this.slotCount, this.expected), rows)
      }
      this.hours.set(hour, h)
    }
    this.current = h
    return h
  }

  private endOutage (s: number, end: number): void {
    const o = this.outage[s] as Outage
    o.end = Math.max(end, o.start)
    this.changed.add(o)
    this.outage[s] = null
  }

  /** the pending results take the (new) current category */
  private settle (s: number): void {
    const pending = this.pending[s]
    if (pending === null) return
    this.pending[s] = null
    for (const p of pending) this.count(s, p.at, p.maint)
  }

  private count (s: number, at: number, maint: boolean, hour?: HourRollups, row?: number): void {
    const h = hour ?? this.hourOf(at)
    const r = row ?? this.rowIn(h, s)
    const sec = this.deps.intervalS
    const o = this.outage[s]
    if (o !== null && maint && !o.maintenance) {
      o.maintenance = true
      this.changed.add(o)
    }
    const cat = this.cat[s]
    if (maint) h.maintenanceS[r] += sec
    else if (cat === 1) h.upS[r] += sec
    else if (cat === 3) h.unreachableS[r] += sec
    else h.downS[r] += sec
  }
}
