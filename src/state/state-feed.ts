import type { Observation, StateEvent } from './device-state.js'
import type { StateTable } from './state-table.js'
import type { ResultBatch } from '../storage/result-columns.js'

export interface StateFeedOptions {
  /** the state changes of one live cycle, in result order (not called for read-back history) */
  onLiveEvents: (events: StateEvent[]) => void
  /** most live results held back while history is read; beyond this the oldest cycles are applied out of order */
  maxBufferedRows?: number
}

/**
 * Puts results into the state table in time order: earlier results read back from the CSV files
 * first, then the live cycles that arrived meanwhile (held back until the read-back is done).
 * Changes found in history only rebuild the state; they were reported when they happened.
 */
export class StateFeed {
  private replaying = false
  private buffered: Observation[][] = []
  private bufferedRows = 0
  /** per device, the time of its first held-back live result: history from then on is a copy of it */
  private readonly firstLive = new Map<number, number>()
  private replayed = 0
  private replayedChanges = 0
  private flushedEarly = 0

  constructor (private readonly table: StateTable, private readonly opts: StateFeedOptions) {}

  get isReplaying (): boolean {
    return this.replaying
  }

  /** Idempotent: from now on live cycles are held back until `endReplay`. */
  startReplay (): void {
    this.replaying = true
  }

  /** One earlier result, oldest first. */
  replayRow (o: Observation): void {
    this.startReplay()
    const live = this.firstLive.get(o.device_id)
    if (live !== undefined && o.at >= live) return
    const last = this.table.get(o.device_id)?.lastAt ?? null
    if (last !== null && o.at <= last) return
    this.replayed++
    if (this.table.apply(o) !== null) this.replayedChanges++
  }

  /** Earlier results as columns (see ResultBatch), oldest first. */
  replayBatch (b: ResultBatch, strings: string[]): void {
    // one observation object for the whole batch: the state table copies what it keeps
    const o: Observation = { device_id: 0, ip_address: '', hostname: '', success: false, error: '', at: 0 }
    for (let i = 0; i < b.n; i++) {
      o.device_id = b.deviceId[i]
      o.ip_address = strings[b.ip[i]]
      o.hostname = strings[b.hostname[i]]
      o.success = b.ok[i] === 1
      o.error = strings[b.error[i]]
      o.at = b.at[i]
      this.replayRow(o)
    }
  }

  /** The read-back is over: applies the held-back cycles in order. Returns what the read-back did. */
  endReplay (): { rows: number, changes: number, flushed_early: number } {
    const held = this.buffered
    this.replaying = false
    this.buffered = []
    this.bufferedRows = 0
    this.firstLive.clear()
    for (const cycle of held) this.applyLive(cycle)
    const summary = { rows: this.replayed, changes: this.replayedChanges, flushed_early: this.flushedEarly }
    this.replayed = 0
    this.replayedChanges = 0
    this.flushedEarly = 0
    return summary
  }

  /** One live cycle's results. */
  live (cycle: Observation[]): void {
    if (!this.replaying) {
      this.applyLive(cycle)
      return
    }
    for (const o of cycle) if (!this.firstLive.has(o.device_id)) this.firstLive.set(o.device_id, o.at)
    this.buffered.push(cycle)
    this.bufferedRows += cycle.length
    const max = this.opts.maxBufferedRows ?? 2_000_000
    // a read-back that never ends must not hold every cycle in memory
    while (this.bufferedRows > max && this.buffered.length > 1) {
      const oldest = this.buffered.shift() as Observation[]
      this.bufferedRows -= oldest.length
      this.flushedEarly++
      this.applyLive(oldest)
    }
  }

  private applyLive (cycle: Observation[]): void {
    const events: StateEvent[] = []
    for (const o of cycle) {
      const e = this.table.apply(o)
      if (e !== null) events.push(e)
    }
    if (events.length > 0) this.opts.onLiveEvents(events)
  }
}
