import type { Log } from '../lib/log.js'
import { mkdir, open, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { dateKeyStart, localDateKey } from '../lib/local-time.js'
import { CSV_HEADER, formatCsvRows, type ResultRow } from './result-row.js'
import { RESULTS_PREFIX, datedFileName, listDatedFiles } from './csv-files.js'

export interface CsvWriterOptions<T> {
  dir: string
  /** file names: PREFIX_YYYYMMDD[_N].csv (default: the result files) */
  prefix?: string
  /** header line with its \n, and the rows as CSV lines (defaults: result rows) */
  header?: string
  format?: (rows: T[]) => string
  /** what the files hold, for log lines and errors (default "CSV") */
  what?: string
  /** most data rows per file, 0 = no limit */
  maxRecords: number
  /** files of days older than this are deleted, 0 = keep all */
  retentionDays: number
  /** rows kept in memory while writing fails; beyond this the oldest are dropped (and counted) */
  bufferMaxRows: number
  log: Log
  now?: () => number
  /** after a failed write, the next try comes this long after, doubling up to retryMaxMs (defaults 1 s, 30 s) */
  retryFirstMs?: number
  retryMaxMs?: number
  /** arms the retry timer (default: an unref'd setTimeout, so that it never holds the process) */
  setTimer?: (fn: () => void, ms: number) => RetryTimer
}

export interface RetryTimer { clear: () => void }

const unrefTimer = (fn: () => void, ms: number): RetryTimer => {
  const h = setTimeout(fn, ms)
  h.unref()
  return { clear: () => clearTimeout(h) }
}

/**
 * Rows to write as a run read by index: a row array (the event files), or a cycle's columns (the
 * result files), which the writer formats straight from the columns without a row object per result.
 */
export interface CsvRun<T> {
  readonly n: number
  /** epoch ms of row i: picks its file */
  at: (i: number) => number
  /** row i as an object: only for unwritten() */
  row: (i: number) => T
  /** rows [from, to) as CSV lines: text, or its UTF-8 bytes */
  format: (from: number, to: number) => string | Uint8Array
}

/** rows [from, to) of a run, waiting to be written */
interface Piece<T> { run: CsvRun<T>, from: number, to: number }

export interface CsvWriterState {
  healthy: boolean
  last_error: string | null
  failing_since: string | null
  pending_rows: number
  dropped_rows: number
  rows_written: number
  write_errors: number
}

/**
 * The single writer of a family of daily CSV files (the result files by default; the state event
 * files too). Rows of one flush go out in one write per file touched; a failed write is undone
 * (truncated back) so no torn row is left, and the rows wait in a bounded buffer to be written, in
 * order, on the next flush: the next write, or the retry timer (backing off from retryFirstMs to
 * retryMaxMs), whichever comes first. The timer matters to a writer that gets no new rows (the state
 * events, the results once the monitor stops): without it their rows would wait in memory, and health
 * would stay degraded, until something new happened.
 */
export class CsvWriter<T = ResultRow> {
  private pending: Array<Piece<T>> = []
  /** rows in `pending` */
  private pendingRows = 0
  private chain: Promise<void> = Promise.resolve()
  /** per date: current file index and its data row count */
  private readonly current = new Map<string, { index: number, count: number }>()
  private lastRetentionDay = ''
  private readonly state: CsvWriterState = { healthy: true, last_error: null, failing_since: null, pending_rows: 0, dropped_rows: 0, rows_written: 0, write_errors: 0 }
  private readonly now: () => number
  private readonly prefix: string
  private readonly header: string
  private readonly format: (rows: T[]) => string
  private readonly what: string
  private readonly retryFirstMs: number
  private readonly retryMaxMs: number
  private readonly setTimer: (fn: () => void, ms: number) => RetryTimer
  private retryTimer: RetryTimer | null = null
  /** the wait before the next timed retry */
  private retryDelay: number
  private closed = false

  constructor (private readonly opts: CsvWriterOptions<T>) {
    this.now = opts.now ?? Date.now
    this.prefix = opts.prefix ?? RESULTS_PREFIX
    this.header = opts.header ?? CSV_HEADER
    this.format = opts.format ?? (formatCsvRows as unknown as (rows: T[]) => string)
    this.what = opts.what ?? 'CSV'
    this.retryFirstMs = opts.retryFirstMs ?? 1000
    this.retryMaxMs = Math.max(this.retryFirstMs, opts.retryMaxMs ?? 30_000)
    this.retryDelay = this.retryFirstMs
    this.setTimer = opts.setTimer ?? unrefTimer
  }

  private initialized = false

  /** Creates the directory and cuts any torn last line left by a crash (the first flush does it otherwise). */
  async init (): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true })
    for (const f of await listDatedFiles(this.opts.dir, this.prefix)) {
      const cut = await repairTornTail(f.path)
      if (cut > 0) this.opts.log.warn({ file: f.name, bytes: cut }, 'cut a torn last line left by an earlier crash')
    }
    this.initialized = true
    await this.applyRetention()
  }

  /** rows taken by the flush under way and not written yet: still pending for anyone asking */
  private flushing = 0

  status (): CsvWriterState {
    return { ...this.state, pending_rows: this.pendingRows + this.flushing }
  }

  /** Rows not written yet, oldest first (e.g. while the directory cannot be written). */
  unwritten (): T[] {
    const out: T[] = []
    for (const p of this.pending) for (let i = p.from; i < p.to; i++) out.push(p.run.row(i))
    return out
  }

  /** Resolves when the writes queued so far have ended (written, or kept for a retry). */
  settled (): Promise<void> {
    return this.chain
  }

  /** Queues rows (with their epoch ms, which picks the file) and writes them; resolves when this flush ended. */
  write (rows: Array<{ row: T, at: number }>): Promise<void> {
    const format = this.format
    return this.writeRun({
      n: rows.length,
      at: (i) => rows[i].at,
      row: (i) => rows[i].row,
      format: (from, to) => formatInPieces(format, rows, from, to)
    })
  }

  /** Queues a run of rows (see CsvRun) and writes it; resolves when this flush ended. */
  writeRun (run: CsvRun<T>): Promise<void> {
    if (run.n > 0) {
      this.pending.push({ run, from: 0, to: run.n })
      this.pendingRows += run.n
    }
    const overflow = this.pendingRows - this.opts.bufferMaxRows
    if (overflow > 0) {
      dropOldest(this.pending, overflow)
      this.pendingRows -= overflow
      this.state.dropped_rows += overflow
      this.opts.log.error({ dropped: overflow, total_dropped: this.state.dropped_rows }, `${this.what} buffer full: dropped the oldest unwritten rows`)
    }
    this.chain = this.chain.then(() => this.flush())
    return this.chain
  }

  /** Waits for every queued write, and tries once more what is still pending (at shutdown, and for tests). */
  async drain (): Promise<void> {
    await this.chain
    if (this.pendingRows > 0) await this.write([])
  }

  /** No more timed retries; then drain(): what is still pending after that is left to the caller. */
  async close (): Promise<void> {
    this.closed = true
    this.cancelRetry()
    await this.drain()
  }

  /** Arms the retry timer unless it is armed already; each timed retry that fails doubles the next wait. */
  private scheduleRetry (): void {
    if (this.closed || this.retryTimer !== null) return
    const delay = this.retryDelay
    this.retryDelay = Math.min(delay * 2, this.retryMaxMs)
    this.retryTimer = this.setTimer(() => {
      this.retryTimer = null
      if (this.closed) return
      this.chain = this.chain.then(() => this.flush())
    }, delay)
  }

  private cancelRetry (): void {
    this.retryTimer?.clear()
    this.retryTimer = null
  }

  private async flush (): Promise<void> {
    if (this.pendingRows === 0) return
    // rows of one date go out together, in their order: a cycle across midnight interleaves the dates
    // (answered before, timed out after), and each switch would cost a write and a re-read of the file
    const batch = byDate(this.pending)
    const total = this.pendingRows
    this.pending = []
    this.pendingRows = 0
    this.flushing = total
    // the next row to write: batch[p], from its row `at`
    let p = 0
    let at = batch.length > 0 ? batch[0].piece.from : 0
    try {
      if (!this.initialized) await this.init()
      await this.applyRetention()
      while (p < batch.length) {
        const key = batch[p].key
        // pieces [p, q) share a date; spread their rows over rollover files
        while (p < batch.length && batch[p].key === key) {
          const cur = await this.fileFor(key)
          const left = dateRowsLeft(batch, p, at, key)
          const room = this.opts.maxRecords > 0 ? this.opts.maxRecords - cur.count : left
          if (room <= 0) {
            cur.index++
            cur.count = 0
            continue
          }
          const take = Math.min(room, left)
          const file = datedFileName(this.prefix, key, cur.index)
          // the lines of `take` rows from (p, at) on, and where the next ones start
          const lines: Array<string | Uint8Array> = []
          let need = take
          let q = p
          let from = at
          while (need > 0) {
            const piece = batch[q].piece
            const n = Math.min(need, piece.to - from)
            lines.push(piece.run.format(from, from + n))
            need -= n
            from += n
            if (from === piece.to && q + 1 < batch.length) {
              q++
              from = batch[q].piece.from
            }
          }
          const size = await appendAtomically(join(this.opts.dir, file), this.header, lines)
          // the acknowledgement: these rows are in the file (in the page cache) up to `size` bytes
          this.opts.log.debug?.({ file, rows: take, size }, `${this.what} rows written`)
          cur.count += take
          if (from === batch[q].piece.to) {
            p = q + 1
            at = p < batch.length ? batch[p].piece.from : 0
          } else {
            p = q
            at = from
          }
          this.flushing -= take
          this.state.rows_written += take
        }
      }
      if (!this.state.healthy) this.opts.log.info({ rows: total }, `${this.what} writing works again; buffered rows written`)
      this.state.healthy = true
      this.state.last_error = null
      this.state.failing_since = null
      this.cancelRetry()
      this.retryDelay = this.retryFirstMs
    } catch (err: any) {
      // keep what was not written, in order, ahead of anything queued meanwhile
      const left: Array<Piece<T>> = []
      for (let k = p; k < batch.length; k++) left.push(k === p ? { ...batch[k].piece, from: at } : batch[k].piece)
      let n = 0
      for (const l of left) n += l.to - l.from
      this.pending = left.concat(this.pending)
      this.pendingRows += n
      this.flushing = 0
      this.state.write_errors++
      const message = `${err.code ?? 'error'}: cannot write ${this.what} files in ${this.opts.dir}`
      if (this.state.healthy) {
        this.opts.log.error({ err: err.message, pending: this.pendingRows }, `${this.what} write failed; rows are kept in memory and retried`)
        this.state.failing_since = new Date(this.now()).toISOString()
      }
      this.state.healthy = false
      this.state.last_error = message
      this.scheduleRetry()
    }
  }

  private async fileFor (key: string): Promise<{ index: number, count: number }> {
    let cur = this.current.get(key)
    if (cur !== undefined) return cur
    const files = (await listDatedFiles(this.opts.dir, this.prefix)).filter((f) => f.dateKey === key)
    const last = files.at(-1)
    cur = { index: last?.index ?? 1, count: 0 }
    if (last !== undefined && this.opts.maxRecords > 0) cur.count = await countDataRows(last.path)
    // forget other days so the map stays small
    for (const k of this.current.keys()) if (k < key) this.current.delete(k)
    this.current.set(key, cur)
    return cur
  }

  private async applyRetention (): Promise<void> {
    const today = localDateKey(this.now())
    if (this.opts.retentionDays <= 0 || today === this.lastRetentionDay) return
    this.lastRetentionDay = today
    const limit = dateKeyStart(today) - this.opts.retentionDays * 86_400_000
    for (const f of await listDatedFiles(this.opts.dir, this.prefix)) {
      if (dateKeyStart(f.dateKey) < limit) {
        await rm(f.path, { force: true })
        this.opts.log.info({ file: f.name }, `deleted ${this.what} file past retention`)
      }
    }
  }
}

// The per-row loops of a flush live in small functions of their own: V8 compiles a hot loop on the
// stack (OSR) with the whole function around it, and flush() is a large async function (its compile
// took 34 ms of TurboFan time per warm-up, traced with --trace-opt at 10,000 rows a cycle).

/** A piece of rows that all have the local date `key`. */
interface DatedPiece<T> { key: string, piece: Piece<T> }

/** Rows of the date `key` from row `at` of batch[p] on, up to the first row of another date. */
function dateRowsLeft<T> (batch: Array<DatedPiece<T>>, p: number, at: number, key: string): number {
  let n = batch[p].piece.to - at
  for (let q = p + 1; q < batch.length && batch[q].key === key; q++) n += batch[q].piece.to - batch[q].piece.from
  return n
}

/**
 * The pending rows cut into pieces of one local date each, those of each date together (older dates
 * first), each date's rows in their order. A run whose rows share a date (nearly every cycle) stays
 * one piece.
 */
function byDate<T> (pending: Array<Piece<T>>): Array<DatedPiece<T>> {
  const out: Array<DatedPiece<T>> = []
  let inOrder = true
  for (const piece of pending) {
    if (piece.from >= piece.to) continue
    const run = piece.run
    let start = piece.from
    let key = localDateKey(run.at(start))
    for (let i = start + 1; i < piece.to; i++) {
      const k = localDateKey(run.at(i))
      if (k === key) continue
      out.push({ key, piece: { run, from: start, to: i } })
      start = i
      key = k
    }
    out.push({ key, piece: { run, from: start, to: piece.to } })
  }
  for (let i = 1; i < out.length && inOrder; i++) inOrder = out[i].key >= out[i - 1].key
  if (inOrder) return out
  // stable: pieces of one date keep their order
  return out.map((d, i) => ({ d, i })).sort((a, b) => a.d.key < b.d.key ? -1 : a.d.key > b.d.key ? 1 : a.i - b.i).map((x) => x.d)
}

/** Drops the oldest `n` rows of the pieces (in place). */
function dropOldest<T> (pending: Array<Piece<T>>, n: number): void {
  let drop = 0
  while (n > 0 && drop < pending.length) {
    const p = pending[drop]
    const len = p.to - p.from
    if (len <= n) {
      n -= len
      drop++
    } else {
      pending[drop] = { ...p, from: p.from + n }
      n = 0
    }
  }
  pending.splice(0, drop)
}

/** The rows of rows[from, to), one array (not a slice and then a map). */
/** rows formatted at a time by formatInPieces */
const PIECE_ROWS = 1000

/**
 * Rows [from, to) as CSV lines, PIECE_ROWS at a time, each piece encoded at once. One string for a
 * whole flush was built of ~8 concatenations a row: the first cycle at 50,000 devices writes 45,000
 * state events (every device's unknown -> up), and that string's tens of MB of pieces lived long enough
 * to be promoted to the old generation, at the start-up's peak of RSS.
 */
function formatInPieces<T> (format: (rows: T[]) => string, rows: Array<{ row: T }>, from: number, to: number): string | Uint8Array {
  if (to - from <= PIECE_ROWS) return format(rowsOf(rows, from, to))
  const pieces: Buffer[] = []
  for (let i = from; i < to; i += PIECE_ROWS) pieces.push(Buffer.from(format(rowsOf(rows, i, Math.min(to, i + PIECE_ROWS)))))
  return Buffer.concat(pieces)
}

function rowsOf<T> (rows: Array<{ row: T }>, from: number, to: number): T[] {
  const out = new Array<T>(to - from)
  for (let k = from; k < to; k++) out[k - from] = rows[k].row
  return out
}

/** Appends lines in one write (the header first in a new file); on failure truncates back so that no partial row stays behind. Returns the new size. */
async function appendAtomically (path: string, header: string, lines: Array<string | Uint8Array>): Promise<number> {
  const fh = await open(path, 'a')
  let size = 0
  try {
    size = (await fh.stat()).size
    const bytes = bytesOf(size === 0 ? header : '', lines)
    const { bytesWritten } = await fh.write(bytes)
    // a short write (disk full) would leave half a row: undo it like any other failure
    if (bytesWritten !== bytes.length) throw Object.assign(new Error('short write'), { code: 'ENOSPC' })
    return size + bytesWritten
  } catch (err) {
    await fh.truncate(size).catch(() => {})
    throw err
  } finally {
    await fh.close().catch(() => {})
  }
}

/**
 * The header and lines as one buffer, encoded once: writing a string encodes it, and measuring it
 * for the short-write check was a second pass over every byte. Lines given as bytes (a cycle's
 * columns) are copied as they are; one piece of them without a header is written as it is.
 */
function bytesOf (header: string, lines: Array<string | Uint8Array>): Uint8Array {
  if (lines.every((l) => typeof l === 'string')) return Buffer.from(header + lines.join(''))
  if (header === '' && lines.length === 1) return lines[0] as Uint8Array
  const parts: Uint8Array[] = header === '' ? [] : [Buffer.from(header)]
  for (const l of lines) parts.push(typeof l === 'string' ? Buffer.from(l) : l)
  return Buffer.concat(parts)
}

/**
 * Lines in the file minus its header, counted over the bytes a megabyte at a time: a day's file of a
 * large fleet passes V8's longest string (512 MB, "Invalid string length") long before the disk fills.
 */
async function countDataRows (path: string): Promise<number> {
  const fh = await open(path, 'r')
  try {
    const buf = Buffer.allocUnsafe(1 << 20)
    let n = 0
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null)
      if (bytesRead === 0) break
      for (let i = buf.indexOf(10); i !== -1 && i < bytesRead; i = buf.indexOf(10, i + 1)) n++
    }
    return Math.max(0, n - 1)
  } finally {
    await fh.close()
  }
}

/** Cuts the file after its last newline; returns how many bytes were cut. */
export async function repairTornTail (path: string): Promise<number> {
  const { size } = await stat(path)
  if (size === 0) return 0
  const fh = await open(path, 'r+')
  try {
    const chunk = 64 * 1024
    let end = size
    while (end > 0) {
      const start = Math.max(0, end - chunk)
      const buf = Buffer.alloc(end - start)
      await fh.read(buf, 0, buf.length, start)
      const nl = buf.lastIndexOf(0x0a)
      if (nl !== -1) {
        const keep = start + nl + 1
        if (keep < size) await fh.truncate(keep)
        return size - keep
      }
      end = start
    }
    await fh.truncate(0)
    return size
  } finally {
    await fh.close()
  }
}
