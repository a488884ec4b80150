import type { AdoptedState } from '../state/device-state.js'
import type { ResultRow } from '../storage/result-row.js'
import type { ResultMessage } from './results-stream.js'

/** What the hand-over needs of the device states (src/state/device-states.ts). */
export interface AdoptingStates {
  lastResultAt: (deviceId: number) => number | null
  adopt: (deviceId: number, ip: string, hostname: string, state: AdoptedState) => boolean
}

interface Known { owner: string, state: AdoptedState }

/**
 * The latest verdict (up/down/flapping, failures in a row, outage start) that another instance
 * published for each device on the results stream. When a partition changes owners, the new owner
 * takes it over before it applies its own first result of the device: a device the previous owner
 * already alerted down is not alerted down again (unknown → down), and its recovery is alerted once,
 * by the new owner, with the outage's real start. Without it, every hand-over of a down device
 * (crash, join, SIGTERM) repeated its down alert.
 */
export class HandoverStates {
  private readonly known = new Map<number, Known>()

  constructor (private readonly me: string) {}

  /** One message of the results stream (this instance's own are left out: its states are its own). */
  add (msg: ResultMessage): void {
    if (msg.o === this.me) return
    for (const r of msg.r) {
      // an 'unknown' (an owner still reading its history back) says nothing: the verdict before it stands
      if (r.st.state !== 'up' && r.st.state !== 'down' && r.st.state !== 'flapping') continue
      const prev = this.known.get(r.row.device_id)
      if (prev !== undefined && prev.state.at >= r.at) continue
      const since = r.st.down_since === null ? NaN : Date.parse(r.st.down_since)
      this.known.set(r.row.device_id, {
        owner: msg.o,
        state: {
          state: r.st.state,
          consecutive_failures: r.st.consecutive_failures,
          down_since: Number.isFinite(since) ? since : null,
          at: r.at,
          last_error: r.row.ping_success ? null : r.row.error_message
        }
      })
    }
  }

  /**
   * Before a cycle's results reach the device states: each device whose latest verdict came from
   * another owner, after anything this instance knows of it and before this result, takes it over.
   * Answers the ids of the devices taken over (their states changed without a state change event).
   */
  adoptBefore (rows: ReadonlyArray<{ row: ResultRow, at: number }>, states: AdoptingStates): number[] {
    const adopted: number[] = []
    for (const { row, at } of rows) {
      const k = this.known.get(row.device_id)
      if (k === undefined || k.state.at >= at) continue
      const local = states.lastResultAt(row.device_id)
      if (local !== null && local >= k.state.at) continue
      if (states.adopt(row.device_id, row.ip_address, row.hostname, k.state)) adopted.push(row.device_id)
    }
    return adopted
  }

  /** Drops the devices that left the inventory. */
  retain (ids: Set<number>): void {
    for (const id of this.known.keys()) if (!ids.has(id)) this.known.delete(id)
  }

  get size (): number {
    return this.known.size
  }
}
