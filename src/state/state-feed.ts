import type { Observation, StateEvent } from './device-state.js'
import type { StateTable } from './state-table.js'
import type { CycleColumns, ResultBatch } from '../storage/result-columns.js'

export interface StateFeedOptions {
  /** the state changes of one live cycle, in result order (not called for read-back history) */
  onLiveEvents: (events: StateEvent[]) => void
}

/**
 * Puts results into the state table: earlier results read back from the CSV files rebuild the state
 * silently (they were reported when they happened), live cycles report their changes. Live cycles
 * that finish during the read-back are held by the pipeline (src/pipeline.ts) and arrive after it.
 */
export class StateFeed {
  private replaying = false
  private replayed = 0
  private replayedChanges = 0

  constructor (private readonly table: StateTable, private readonly opts: StateFeedOptions) {}

  get isReplaying (): boolean {
    return this.replaying
  }

  /** Idempotent: the states are being rebuilt until `endReplay`. */
  startReplay (): void {
    this.replaying = true
  }

  /** One earlier result, oldest first; one older than what the device already has is ignored. */
  replayRow (o: Observation): void {
    this.startReplay()
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

  /** The read-back is over. Returns what it did. */
  endReplay (): { rows: number, changes: number } {
    this.replaying = false
    const summary = { rows: this.replayed, changes: this.replayedChanges }
    this.replayed = 0
    this.replayedChanges = 0
    return summary
  }

  /** One live cycle's columns, through one observation object (the state machine copies what it keeps): no object per result. */
  liveColumns (c: CycleColumns): void {
    const o: Observation = { device_id: 0, ip_address: '', hostname: '', success: false, error: '', at: 0 }
    const events: StateEvent[] = []
    const devices = c.devices
    this.table.reserve(c.n)
    for (let i = 0; i < c.n; i++) {
      const d = devices[i]
      o.device_id = d.device_id
      o.ip_address = d.ip_address
      o.hostname = d.hostname
      o.success = c.ok[i] === 1
      o.error = o.success ? '' : c.errors[c.error[i]]
      o.at = c.at[i]
      const e = this.table.apply(o)
      if (e !== null) events.push(e)
    }
    if (events.length > 0) this.opts.onLiveEvents(events)
  }

  /** One live cycle's results. */
  live (cycle: Observation[]): void {
    const events: StateEvent[] = []
    for (const o of cycle) {
      const e = this.table.apply(o)
      if (e !== null) events.push(e)
    }
    if (events.length > 0) this.opts.onLiveEvents(events)
  }
}
