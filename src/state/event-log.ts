import type { Log } from '../lib/log.js'
import { createReadStream } from 'node:fs'
import Papa from 'papaparse'
import { CsvWriter, type CsvWriterOptions } from '../storage/csv-writer.js'
import { listDatedFilesCovering } from '../storage/csv-files.js'
import { EVENT_COLUMNS, EVENT_HEADER, EVENT_PREFIX, formatEventRows, parseEventRecord, type EventRow } from './event-row.js'

export interface EventLogOptions {
  dir: string
  /** files of days older than this are deleted, 0 = keep all (the result files' setting) */
  retentionDays: number
  /** events kept in memory while writing fails; beyond this the oldest are dropped (and counted) */
  bufferMax: number
  log: Log
  now?: () => number
  /** the retry timer after a failed write (defaults: 1 s doubling to 30 s, an unref'd setTimeout) */
  retryFirstMs?: number
  retryMaxMs?: number
  setTimer?: CsvWriterOptions<EventRow>['setTimer']
}

export interface EventLogStatus {
  healthy: boolean
  last_error: string | null
  pending_events: number
  dropped_events: number
  events_written: number
}

/**
 * The state_events_YYYYMMDD.csv files (local date of the event): written by the same single-writer
 * machinery as the result files (one write per file per flush, truncated back on failure, a bounded
 * buffer while writing fails, retried on a timer: state changes are rare, so the next event may be
 * hours away), and read back for /api/ping/events.
 */
export class EventLog {
  private readonly writer: CsvWriter<EventRow>

  constructor (opts: EventLogOptions) {
    this.writer = new CsvWriter<EventRow>({
      dir: opts.dir,
      prefix: EVENT_PREFIX,
      header: EVENT_HEADER,
      format: formatEventRows,
      what: 'state event',
      maxRecords: 0,
      retentionDays: opts.retentionDays,
      bufferMaxRows: opts.bufferMax,
      log: opts.log,
      now: opts.now,
      retryFirstMs: opts.retryFirstMs,
      retryMaxMs: opts.retryMaxMs,
      setTimer: opts.setTimer
    })
  }

  /** Creates the directory and cuts a torn last line left by a crash. */
  async init (): Promise<void> {
    await this.writer.init()
  }

  /** Resolves when the writes queued so far have ended (written or kept for a retry). */
  settled (): Promise<void> {
    return this.writer.settled()
  }

  status (): EventLogStatus {
    const w = this.writer.status()
    return { healthy: w.healthy, last_error: w.last_error, pending_events: w.pending_rows, dropped_events: w.dropped_rows, events_written: w.rows_written }
  }

  /** Events not written yet (oldest first), e.g. while the directory cannot be written. */
  unwritten (): EventRow[] {
    return this.writer.unwritten()
  }

  /** Queues events (with their epoch ms, which picks the file); resolves when this flush ended. Never rejects. */
  write (events: Array<{ row: EventRow, at: number }>): Promise<void> {
    return this.writer.write(events)
  }

  /** Waits for the writes queued so far (and retries what is pending once). */
  async drain (): Promise<void> {
    await this.writer.drain()
  }

  /** Stops the timed retries, then drain(). */
  async close (): Promise<void> {
    await this.writer.close()
  }
}

export interface EventScanOptions {
  dir: string
  fromMs: number
  toMs: number
  deviceId?: number
}

/** Streams the stored events in [fromMs, toMs], oldest first; malformed lines are skipped. */
export async function scanEvents (opts: EventScanOptions, onEvent: (row: EventRow, at: number) => void): Promise<{ malformed: number }> {
  let malformed = 0
  for (const f of await listDatedFilesCovering(opts.dir, EVENT_PREFIX, opts.fromMs, opts.toMs)) {
    await new Promise<void>((resolve, reject) => {
      let first = true
      const stream = createReadStream(f.path, 'utf8')
      stream.on('error', (err: NodeJS.ErrnoException) => err.code === 'ENOENT' ? resolve() : reject(err))
      Papa.parse<string[]>(stream as any, {
        skipEmptyLines: true,
        step: (res) => {
          const rec = res.data
          if (first) {
            first = false
            if (rec[0] === EVENT_COLUMNS[0]) return
          }
          const row = parseEventRecord(rec)
          if (row === null) {
            malformed++
            return
          }
          if (opts.deviceId !== undefined && row.device_id !== opts.deviceId) return
          const at = Date.parse(row.at)
          if (at >= opts.fromMs && at <= opts.toMs) onEvent(row, at)
        },
        complete: () => resolve(),
        error: (err: Error) => reject(err)
      })
    })
  }
  return { malformed }
}
