/**
 * What the service believes about a device, as opposed to what its last ping said. `unreachable` is
 * never the machine's own verdict: it is a down device behind the down uplinks of its location
 * (src/sites/site-watch.ts).
 */
export type DeviceState = 'unknown' | 'up' | 'down' | 'flapping' | 'unreachable'

export interface StateSettings {
  /** consecutive failed results that make a device down */
  downAfterFailures: number
  /** consecutive replies that bring a down device back up */
  upAfterSuccesses: number
  /** up/down changes within the window that make a device flapping; 0 = no flap detection */
  flapChanges: number
  /** how many of the device's own latest results the flap detection looks at */
  flapWindow: number
}

/** One ping result of one device. */
export interface Observation {
  device_id: number
  ip_address: string
  hostname: string
  success: boolean
  /** the failure text; ignored on success */
  error: string
  /** epoch ms of the result */
  at: number
}

export interface StateEvent {
  device_id: number
  ip_address: string
  hostname: string
  from: DeviceState
  to: DeviceState
  /** epoch ms of the result that caused the change */
  at: number
  reason: string
  consecutive_failures: number
  last_error: string | null
  /**
   * First failed result of the outage underneath (also when the change is to or from flapping): the
   * current outage, or the one this very result ended; null otherwise.
   */
  down_since: number | null
}

export interface DeviceStateSnapshot {
  device_id: number
  ip_address: string
  hostname: string
  state: DeviceState
  consecutive_failures: number
  consecutive_successes: number
  /** first failed result of the current outage; set while the up/down state underneath is down, also when flapping */
  down_since: number | null
  /** epoch ms of the last change of `state`, null while unknown */
  last_change: number | null
  /** the last failure text seen, kept after recovery */
  last_error: string | null
  /** epoch ms of the last result applied */
  last_result_at: number | null
}

type Stable = 'unknown' | 'up' | 'down'

/** A device's verdict as another instance published it (src/cluster/handover-states.ts). */
export interface AdoptedState {
  state: DeviceState
  consecutive_failures: number
  /** epoch ms of the first failed result of the outage, when down */
  down_since: number | null
  /** epoch ms of the result the verdict is as of */
  at: number
  /** the last failure text, null when the result was a reply */
  last_error: string | null
}

/**
 * The state of one device, driven only by its own results (the clock is the results' time).
 *
 * - unknown → up on the first reply; unknown → down after `downAfterFailures` failures in a row
 *   (until then it stays unknown).
 * - up → down after `downAfterFailures` failures in a row; down → up after `upAfterSuccesses`
 *   replies in a row.
 * - Flapping is judged on those debounced up/down changes (unknown → first state does not count):
 *   `flapChanges` or more of them within the device's last `flapWindow` results make it `flapping`;
 *   it stays flapping, with no events for the changes underneath, until the window holds fewer than
 *   half of `flapChanges` changes, then it is `up` or `down` again. The two thresholds keep a device
 *   at the border from flapping in and out of `flapping` itself.
 */
export class DeviceStateMachine {
  private stable: Stable = 'unknown'
  private visible: DeviceState = 'unknown'
  private flapping = false
  private failures = 0
  private successes = 0
  private failureStreakStart: number | null = null
  private downSince: number | null = null
  private lastChange: number | null = null
  private lastError: string | null = null
  private lastResultAt: number | null = null
  private results = 0
  /** result numbers at which the up/down state changed, oldest first, only those inside the window */
  private readonly changes: number[] = []
  private ip: string
  private host: string

  constructor (readonly deviceId: number, private readonly settings: StateSettings, ip = '', hostname = '') {
    this.ip = ip
    this.host = hostname
  }

  get lastAt (): number | null {
    return this.lastResultAt
  }

  /** Applies one result; returns the change of the visible state it caused, if any. */
  observe (o: Observation): StateEvent | null {
    const s = this.settings
    this.ip = o.ip_address
    this.host = o.hostname
    this.results++
    this.lastResultAt = o.at
    if (o.success) {
      this.successes++
      this.failures = 0
      this.failureStreakStart = null
    } else {
      this.failures++
      this.successes = 0
      this.failureStreakStart ??= o.at
      this.lastError = o.error
    }

    const before = this.stable
    const downBefore = this.downSince
    if (this.stable === 'unknown') {
      if (o.success) this.stable = 'up'
      else if (this.failures >= s.downAfterFailures) this.stable = 'down'
    } else if (this.stable === 'up' && this.failures >= s.downAfterFailures) {
      this.stable = 'down'
    } else if (this.stable === 'down' && this.successes >= s.upAfterSuccesses) {
      this.stable = 'up'
    }
    if (this.stable !== before) {
      this.downSince = this.stable === 'down' ? this.failureStreakStart : null
      if (before !== 'unknown') this.changes.push(this.results)
    }
    while (this.changes.length > 0 && this.changes[0] <= this.results - s.flapWindow) this.changes.shift()

    if (s.flapChanges > 0) {
      if (!this.flapping && this.changes.length >= s.flapChanges) this.flapping = true
      else if (this.flapping && this.changes.length < Math.ceil(s.flapChanges / 2)) this.flapping = false
    }
    const from = this.visible
    const to: DeviceState = this.flapping ? 'flapping' : this.stable
    if (to === from) return null
    this.visible = to
    this.lastChange = o.at
    return {
      device_id: this.deviceId,
      ip_address: o.ip_address,
      hostname: o.hostname,
      from,
      to,
      at: o.at,
      reason: this.reason(from, to),
      consecutive_failures: this.failures,
      last_error: this.lastError,
      down_since: this.stable === 'down' ? this.downSince : before === 'down' ? downBefore : null
    }
  }

  /**
   * Takes over a verdict another instance reached (cluster mode, a partition handed over): the state,
   * the failures in a row and the outage start, as of its result at `at`, without an event (the other
   * instance reported the change). The flap history is not carried over: a flapping device stays
   * flapping for one window of its results here. Answers whether it was taken (unknown is not).
   */
  adopt (k: AdoptedState): boolean {
    if (k.state !== 'up' && k.state !== 'down' && k.state !== 'flapping') return false
    const s = this.settings
    this.failures = k.consecutive_failures
    this.successes = k.consecutive_failures === 0 ? 1 : 0
    const downUnder = k.state === 'down' || (k.state === 'flapping' && k.consecutive_failures >= s.downAfterFailures)
    this.stable = downUnder ? 'down' : 'up'
    this.downSince = downUnder ? (k.down_since ?? k.at) : null
    this.failureStreakStart = k.consecutive_failures > 0 ? (this.downSince ?? k.at) : null
    this.changes.length = 0
    this.flapping = k.state === 'flapping'
    if (this.flapping) for (let i = 0; i < s.flapChanges; i++) this.changes.push(this.results)
    this.visible = k.state
    this.lastChange = k.at
    this.lastResultAt = k.at
    if (k.last_error !== null) this.lastError = k.last_error
    return true
  }

  snapshot (): DeviceStateSnapshot {
    return {
      device_id: this.deviceId,
      ip_address: this.ip,
      hostname: this.host,
      state: this.visible,
      consecutive_failures: this.failures,
      consecutive_successes: this.successes,
      down_since: this.downSince,
      last_change: this.lastChange,
      last_error: this.lastError,
      last_result_at: this.lastResultAt
    }
  }

  get state (): DeviceState {
    return this.visible
  }

  get consecutiveFailures (): number {
    return this.failures
  }

  get downSinceAt (): number | null {
    return this.downSince
  }

  /** the same as the snapshot's down_since, read in place (availability reads it for every result) */
  get down_since (): number | null {
    return this.downSince
  }

  private reason (from: DeviceState, to: DeviceState): string {
    const window = Math.min(this.results, this.settings.flapWindow)
    const err = this.lastError === null || this.lastError === '' ? '' : `; last error: ${this.lastError}`
    if (to === 'flapping') return `${this.changes.length} up/down changes in the last ${window} results`
    if (from === 'flapping') return `stopped flapping (${this.changes.length} up/down changes in the last ${window} results); now ${to}`
    if (to === 'up') return from === 'unknown' ? 'first result: reply' : `${this.successes} replies in a row`
    return `${this.failures} failed pings in a row${err}`
  }
}
