import { IdSlots } from '../inventory/device-index.js'
import type { AdoptedState, DeviceState, DeviceStateSnapshot, Observation, StateEvent, StateSettings } from './device-state.js'

/** columns grow by half: doubling left up to half of them unused (65,536 rows for 50,000 devices) */
const GROWTH = 1.5

type Stable = 'unknown' | 'up' | 'down'
const STABLE: Stable[] = ['unknown', 'up', 'down']
const VISIBLE: DeviceState[] = ['unknown', 'up', 'down', 'flapping', 'unreachable']
const stableCode = (s: Stable): number => s === 'unknown' ? 0 : s === 'up' ? 1 : 2
const visibleCode = (s: DeviceState): number => VISIBLE.indexOf(s)
/** NaN stands for null in the time columns */
const orNull = (v: number): number | null => Number.isNaN(v) ? null : v

/** What StateTable.get gives: one device's state, read from the table's columns when asked. */
export interface DeviceStateView {
  readonly deviceId: number
  readonly state: DeviceState
  readonly consecutiveFailures: number
  readonly downSinceAt: number | null
  /** the same as downSinceAt (availability reads `down_since` of a StateView) */
  readonly down_since: number | null
  /** epoch ms of the last result applied, null when none */
  readonly lastAt: number | null
  snapshot: () => DeviceStateSnapshot
}

class SlotView implements DeviceStateView {
  constructor (private readonly t: StateTable, private readonly s: number) {}
  get deviceId (): number { return this.t.idAt(this.s) }
  get state (): DeviceState { return this.t.stateAt(this.s) }
  get consecutiveFailures (): number { return this.t.failuresAt(this.s) }
  get downSinceAt (): number | null { return this.t.downSinceAt(this.s) }
  get down_since (): number | null { return this.t.downSinceAt(this.s) }
  get lastAt (): number | null { return this.t.lastAtOf(this.s) }
  snapshot (): DeviceStateSnapshot { return this.t.snapshotAt(this.s) }
}

/**
 * The state machines of the monitored devices (see DeviceStateMachine for the rules), as columns by a
 * slot per device: one object per device with 15 fields and a flap array was 12.7 MB at 50,000
 * devices (heap snapshot of the bench); these columns are ~90 bytes a device, mostly outside the JS
 * heap. The texts are references to the strings the results carried.
 */
export class StateTable {
  private readonly slots = new IdSlots()
  private readonly free: number[] = []
  private n = 0
  private ids = new Float64Array(16)
  private stable = new Uint8Array(16)
  private visible = new Uint8Array(16)
  private flapping = new Uint8Array(16)
  private failures = new Uint32Array(16)
  private successes = new Uint32Array(16)
  private results = new Float64Array(16)
  private failureStreakStart = new Float64Array(16)
  private downSince = new Float64Array(16)
  private lastChange = new Float64Array(16)
  private lastResultAt = new Float64Array(16)
  private readonly lastError: Array<string | null> = []
  private readonly ip: string[] = []
  private readonly host: string[] = []
  /** result numbers at which the up/down state changed, oldest first, only those inside the window; null when none */
  private readonly changes: Array<number[] | null> = []

  constructor (private readonly settings: StateSettings) {}

  /** Applies one result; returns the state change it caused, if any. */
  apply (o: Observation): StateEvent | null {
    return this.observe(this.slotOf(o.device_id, o.ip_address, o.hostname), o)
  }

  /** Takes over another instance's verdict for a device (see DeviceStateMachine.adopt). */
  adopt (deviceId: number, ip: string, hostname: string, k: AdoptedState): boolean {
    const known = this.slots.get(deviceId)
    if (known !== -1) return this.adoptAt(known, k)
    if (k.state !== 'up' && k.state !== 'down' && k.state !== 'flapping') return false
    return this.adoptAt(this.slotOf(deviceId, ip, hostname), k)
  }

  /** The device's state, read in place when asked; undefined when it has none. */
  get (deviceId: number): DeviceStateView | undefined {
    const s = this.slots.get(deviceId)
    return s === -1 ? undefined : new SlotView(this, s)
  }

  /** the visible state without a view object (per-cycle passes over every device) */
  stateOf (deviceId: number): DeviceState | undefined {
    const s = this.slots.get(deviceId)
    return s === -1 ? undefined : VISIBLE[this.visible[s]]
  }

  /** Drops every device not in `ids` (removed from the inventory); returns how many left. */
  retain (ids: Set<number>): number {
    let removed = 0
    for (const [id, s] of [...this.slots.entries()]) {
      if (ids.has(id)) continue
      this.slots.delete(id)
      this.changes[s] = null
      this.lastError[s] = null
      this.free.push(s)
      removed++
    }
    return removed
  }

  get size (): number {
    return this.slots.size
  }

  snapshots (): DeviceStateSnapshot[] {
    return [...this.slots.entries()].map(([, s]) => this.snapshotAt(s))
  }

  idAt (s: number): number { return this.ids[s] }
  stateAt (s: number): DeviceState { return VISIBLE[this.visible[s]] }
  failuresAt (s: number): number { return this.failures[s] }
  downSinceAt (s: number): number | null { return orNull(this.downSince[s]) }
  lastAtOf (s: number): number | null { return orNull(this.lastResultAt[s]) }

  snapshotAt (s: number): DeviceStateSnapshot {
    return {
      device_id: this.ids[s],
      ip_address: this.ip[s],
      hostname: this.host[s],
      state: VISIBLE[this.visible[s]],
      consecutive_failures: this.failures[s],
      consecutive_successes: this.successes[s],
      down_since: orNull(this.downSince[s]),
      last_change: orNull(this.lastChange[s]),
      last_error: this.lastError[s],
      last_result_at: orNull(this.lastResultAt[s])
    }
  }

  /**
   * Room for `devices` slots in one step. A cycle carries a result per device, so the first one says
   * how many slots there will be: growing by half from 16 to 50,000 made ~20 steps whose discarded
   * columns (~2.5× the final ones) were all alive together at the start-up's memory peak.
   */
  reserve (devices: number): void {
    if (devices > this.ids.length) this.grow(devices)
  }

  /** the slot of a device, a fresh (unknown) one on its first result */
  slotOf (deviceId: number, ip = '', hostname = ''): number {
    const known = this.slots.get(deviceId)
    if (known !== -1) return known
    const s = this.free.length > 0 ? this.free.pop() as number : this.n++
    if (s >= this.ids.length) this.grow(Math.ceil(this.ids.length * GROWTH))
    this.slots.set(deviceId, s)
    this.ids[s] = deviceId
    this.stable[s] = 0
    this.visible[s] = 0
    this.flapping[s] = 0
    this.failures[s] = 0
    this.successes[s] = 0
    this.results[s] = 0
    this.failureStreakStart[s] = NaN
    this.downSince[s] = NaN
    this.lastChange[s] = NaN
    this.lastResultAt[s] = NaN
    this.lastError[s] = null
    this.ip[s] = ip
    this.host[s] = hostname
    this.changes[s] = null
    return s
  }

  /** Applies one result to a slot; returns the change of the visible state it caused, if any. */
  observe (s: number, o: Observation): StateEvent | null {
    const st = this.settings
    this.ip[s] = o.ip_address
    this.host[s] = o.hostname
    const results = ++this.results[s]
    this.lastResultAt[s] = o.at
    if (o.success) {
      this.successes[s]++
      this.failures[s] = 0
      this.failureStreakStart[s] = NaN
    } else {
      this.failures[s]++
      this.successes[s] = 0
      if (Number.isNaN(this.failureStreakStart[s])) this.failureStreakStart[s] = o.at
      this.lastError[s] = o.error
    }

    const before = STABLE[this.stable[s]]
    const downBefore = orNull(this.downSince[s])
    let stable = before
    if (stable === 'unknown') {
      if (o.success) stable = 'up'
      else if (this.failures[s] >= st.downAfterFailures) stable = 'down'
    } else if (stable === 'up' && this.failures[s] >= st.downAfterFailures) {
      stable = 'down'
    } else if (stable === 'down' && this.successes[s] >= st.upAfterSuccesses) {
      stable = 'up'
    }
    let changes = this.changes[s]
    if (stable !== before) {
      this.stable[s] = stableCode(stable)
      this.downSince[s] = stable === 'down' ? this.failureStreakStart[s] : NaN
      if (before !== 'unknown') {
        if (changes === null) changes = this.changes[s] = []
        changes.push(results)
      }
    }
    if (changes !== null) {
      while (changes.length > 0 && changes[0] <= results - st.flapWindow) changes.shift()
      if (changes.length === 0 && this.flapping[s] === 0) changes = this.changes[s] = null
    }
    const nChanges = changes === null ? 0 : changes.length
    if (st.flapChanges > 0) {
      if (this.flapping[s] === 0 && nChanges >= st.flapChanges) this.flapping[s] = 1
      else if (this.flapping[s] === 1 && nChanges < Math.ceil(st.flapChanges / 2)) this.flapping[s] = 0
    }
    const from = VISIBLE[this.visible[s]]
    const to: DeviceState = this.flapping[s] === 1 ? 'flapping' : stable
    if (to === from) return null
    this.visible[s] = visibleCode(to)
    this.lastChange[s] = o.at
    return {
      device_id: this.ids[s],
      ip_address: o.ip_address,
      hostname: o.hostname,
      from,
      to,
      at: o.at,
      reason: this.reason(s, from, to, nChanges),
      consecutive_failures: this.failures[s],
      last_error: this.lastError[s],
      down_since: stable === 'down' ? orNull(this.downSince[s]) : before === 'down' ? downBefore : null
    }
  }

  /** See DeviceStateMachine.adopt. */
  adoptAt (s: number, k: AdoptedState): boolean {
    if (k.state !== 'up' && k.state !== 'down' && k.state !== 'flapping') return false
    const st = this.settings
    this.failures[s] = k.consecutive_failures
    this.successes[s] = k.consecutive_failures === 0 ? 1 : 0
    const downUnder = k.state === 'down' || (k.state === 'flapping' && k.consecutive_failures >= st.downAfterFailures)
    this.stable[s] = stableCode(downUnder ? 'down' : 'up')
    this.downSince[s] = downUnder ? (k.down_since ?? k.at) : NaN
    this.failureStreakStart[s] = k.consecutive_failures > 0 ? (downUnder ? this.downSince[s] : k.at) : NaN
    const flapping = k.state === 'flapping'
    this.flapping[s] = flapping ? 1 : 0
    this.changes[s] = flapping ? Array.from({ length: st.flapChanges }, () => this.results[s]) : null
    this.visible[s] = visibleCode(k.state)
    this.lastChange[s] = k.at
    this.lastResultAt[s] = k.at
    if (k.last_error !== null) this.lastError[s] = k.last_error
    return true
  }

  private reason (s: number, from: DeviceState, to: DeviceState, nChanges: number): string {
    const window = Math.min(this.results[s], this.settings.flapWindow)
    const lastError = this.lastError[s]
    const err = lastError === null || lastError === '' ? '' : `; last error: ${lastError}`
    if (to === 'flapping') return `${nChanges} up/down changes in the last ${window} results`
    if (from === 'flapping') return `stopped flapping (${nChanges} up/down changes in the last ${window} results); now ${to}`
    if (to === 'up') return from === 'unknown' ? 'first result: reply' : `${this.successes[s]} replies in a row`
    return `${this.failures[s]} failed pings in a row${err}`
  }

  private grow (capacity: number): void {
    const f64 = (a: Float64Array) => { const b = new Float64Array(capacity); b.set(a); return b }
    const u32 = (a: Uint32Array) => { const b = new Uint32Array(capacity); b.set(a); return b }
    const u8 = (a: Uint8Array) => { const b = new Uint8Array(capacity); b.set(a); return b }
    this.ids = f64(this.ids)
    this.stable = u8(this.stable)
    this.visible = u8(this.visible)
    this.flapping = u8(this.flapping)
    this.failures = u32(this.failures)
    this.successes = u32(this.successes)
    this.results = f64(this.results)
    this.failureStreakStart = f64(this.failureStreakStart)
    this.downSince = f64(this.downSince)
    this.lastChange = f64(this.lastChange)
    this.lastResultAt = f64(this.lastResultAt)
  }
}
