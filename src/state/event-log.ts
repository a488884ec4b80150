import { createReadStream } from 'node:fs'
import { mkdir, open, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import Papa from 'papaparse'
import { dateKeyStart, localDateKey } from '../lib/local-time.js'
import { repairTornTail } from '../storage/csv-writer.js'
import { EVENT_COLUMNS, EVENT_FILE, EVENT_HEADER, eventFileName, formatEventRows, parseEventRecord, type EventRow } from './event-row.js'

export interface EventLogOptions {
  dir: string
  /** files of days older than this are deleted, 0 = keep all (the result files' setting) */
  retentionDays: number
  /** events kept in memory while writing fails; beyond this the oldest are dropped (and counted) */
  bufferMax: number
  log: { info: (o: object, m?: string) => void, warn: (o: object, m?: string) => void, error: (o: object, m?: string) => void }
  now?: () => number
}

export interface EventLogStatus {
  healthy: boolean
  last_error: string | null
  pending_events: number
  dropped_events: number
  events_written: number
}

interface Pending { row: EventRow, at: number }

/**
 * The single writer of state_events_YYYYMMDD.csv (local date of the event). Events of one flush go
 * out in one write per file; a failed write is truncated back, so a file never holds a torn line,
 * and the events wait in a bounded buffer for the next flush, in order.
 */
export class EventLog {
  private pending: Pending[] = []
  private chain: Promise<void> = Promise.resolve()
  private lastRetentionDay = ''
  private initialized = false
  private readonly state: EventLogStatus = { healthy: true, last_error: null, pending_events: 0, dropped_events: 0, events_written: 0 }
  private readonly now: () => number

  constructor (private readonly opts: EventLogOptions) {
    this.now = opts.now ?? Date.now
  }

  /** Creates the directory and cuts a torn last line left by a crash; done by the first write otherwise. */
  async init (): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true })
    for (const f of await listEventFiles(this.opts.dir)) {
      const cut = await repairTornTail(f.path)
      if (cut > 0) this.opts.log.warn({ file: f.name, bytes: cut }, 'cut a torn last line left by an earlier crash')
    }
    this.initialized = true
  }

  /** Resolves when the writes queued so far have ended (written or kept for a retry). */
  settled (): Promise<void> {
    return this.chain
  }

  status (): EventLogStatus {
    return { ...this.state, pending_events: this.pending.length }
  }

  /** Events not written yet (oldest first), e.g. while the directory cannot be written. */
  unwritten (): EventRow[] {
    return this.pending.map((p) => p.row)
  }

  /** Queues events (with their epoch ms, which picks the file); resolves when this flush ended. Never rejects. */
  write (events: Array<{ row: EventRow, at: number }>): Promise<void> {
    for (const e of events) this.pending.push(e)
    const overflow = this.pending.length - this.opts.bufferMax
    if (overflow > 0) {
      this.pending.splice(0, overflow)
      this.state.dropped_events += overflow
      this.opts.log.error({ dropped: overflow, total_dropped: this.state.dropped_events }, 'state event buffer full: dropped the oldest unwritten events')
    }
    this.chain = this.chain.then(() => this.flush())
    return this.chain
  }

  /** Waits for the writes queued so far (and retries what is pending once). */
  async drain (): Promise<void> {
    await this.chain
    if (this.pending.length > 0) await this.write([])
  }

  private async flush (): Promise<void> {
    if (this.pending.length === 0) return
    const batch = this.pending
    this.pending = []
    let i = 0
    try {
      if (!this.initialized) await this.init()
      await this.applyRetention()
      await mkdir(this.opts.dir, { recursive: true })
      while (i < batch.length) {
        const key = localDateKey(batch[i].at)
        let j = i
        while (j < batch.length && localDateKey(batch[j].at) === key) j++
        await appendLines(join(this.opts.dir, eventFileName(key)), formatEventRows(batch.slice(i, j).map((p) => p.row)))
        this.state.events_written += j - i
        i = j
      }
      if (!this.state.healthy) this.opts.log.info({ events: batch.length }, 'state event file writable again; buffered events written')
      this.state.healthy = true
      this.state.last_error = null
    } catch (err: any) {
      this.pending = batch.slice(i).concat(this.pending)
      if (this.state.healthy) this.opts.log.error({ err: err.message, pending: this.pending.length }, 'writing state events failed; they are kept in memory and retried')
      this.state.healthy = false
      this.state.last_error = `${String(err.code ?? 'error')}: cannot write state event files in ${this.opts.dir}`
    }
  }

  private async applyRetention (): Promise<void> {
    const today = localDateKey(this.now())
    if (this.opts.retentionDays <= 0 || today === this.lastRetentionDay) return
    this.lastRetentionDay = today
    const limit = dateKeyStart(today) - this.opts.retentionDays * 86_400_000
    for (const f of await listEventFiles(this.opts.dir)) {
      if (dateKeyStart(f.dateKey) < limit) {
        await rm(f.path, { force: true })
        this.opts.log.info({ file: f.name }, 'deleted state event file past retention')
      }
    }
  }
}

/** Appends text in one write, with the header first in a new file; on failure truncates back. */
async function appendLines (path: string, text: string): Promise<void> {
  const fh = await open(path, 'a')
  let size = 0
  try {
    size = (await fh.stat()).size
    const all = (size === 0 ? EVENT_HEADER : '') + text
    const { bytesWritten } = await fh.write(all)
    // a short write (disk full) would leave half a line: undo it like any other failure
    if (bytesWritten !== Buffer.byteLength(all)) throw Object.assign(new Error('short write'), { code: 'ENOSPC' })
  } catch (err) {
    await fh.truncate(size).catch(() => {})
    throw err
  } finally {
    await fh.close().catch(() => {})
  }
}

export async function listEventFiles (dir: string): Promise<Array<{ name: string, path: string, dateKey: string }>> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err: any) {
    if (err.code === 'ENOENT') return []
    throw err
  }
  const files: Array<{ name: string, path: string, dateKey: string }> = []
  for (const name of names) {
    const m = EVENT_FILE.exec(name)
    if (m !== null) files.push({ name, path: join(dir, name), dateKey: m[1] })
  }
  return files.sort((a, b) => a.dateKey < b.dateKey ? -1 : a.dateKey > b.dateKey ? 1 : 0)
}

export interface EventScanOptions {
  dir: string
  fromMs: number
  toMs: number
  deviceId?: number
}

/** Streams the stored events in [fromMs, toMs], oldest first; malformed lines are skipped. */
export async function scanEvents (opts: EventScanOptions, onEvent: (row: EventRow, at: number) => void): Promise<{ malformed: number }> {
  // named by local date; one day of slack either side covers clock changes
  const fromKey = localDateKey(opts.fromMs - 86_400_000)
  const toKey = localDateKey(opts.toMs + 86_400_000)
  let malformed = 0
  for (const f of await listEventFiles(opts.dir)) {
    if (f.dateKey < fromKey || f.dateKey > toKey) continue
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
