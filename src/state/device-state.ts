import { StateTable } from './state-table.js'

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
  // the rules live in StateTable, which keeps every device's state as columns; a machine is a table of one
  private readonly table: StateTable
  private readonly slot: number

  constructor (readonly deviceId: number, settings: StateSettings, ip = '', hostname = '') {
    this.table = new StateTable(settings)
    this.slot = this.table.slotOf(deviceId, ip, hostname)
  }

  get lastAt (): number | null {
    return this.table.lastAtOf(this.slot)
  }

  /** Applies one result; returns the change of the visible state it caused, if any. */
  observe (o: Observation): StateEvent | null {
    return this.table.observe(this.slot, o)
  }

  /**
   * Takes over a verdict another instance reached (cluster mode, a partition handed over): the state,
   * the failures in a row and the outage start, as of its result at `at`, without an event (the other
   * instance reported the change). The flap history is not carried over: a flapping device stays
   * flapping for one window of its results here. Answers whether it was taken (unknown is not).
   */
  adopt (k: AdoptedState): boolean {
    return this.table.adoptAt(this.slot, k)
  }

  snapshot (): DeviceStateSnapshot {
    return this.table.snapshotAt(this.slot)
  }

  get state (): DeviceState {
    return this.table.stateAt(this.slot)
  }

  get consecutiveFailures (): number {
    return this.table.failuresAt(this.slot)
  }

  get downSinceAt (): number | null {
    return this.table.downSinceAt(this.slot)
  }

  /** the same as the snapshot's down_since, read in place (availability reads it for every result) */
  get down_since (): number | null {
    return this.table.downSinceAt(this.slot)
  }
}
