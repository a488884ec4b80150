import Papa from 'papaparse'
import { CSV_COLUMNS, type ResultRow } from './result-row.js'

/**
 * Results as columns, one entry per result: the part a live cycle (CycleColumns) and a read-back
 * batch (ResultBatch) share. `error` indexes a string table each of them carries.
 */
export interface ResultColumns {
  n: number
  /** epoch ms when the result was known */
  at: Float64Array
  /** round-trip time in ms (as written: two decimals), NaN when the row has none */
  rtt: Float64Array
  /** 1 a reply, 0 a failure */
  ok: Uint8Array
  error: Uint32Array
}

/** What a cycle's result says about its device: the row fields that come from the inventory. */
export interface ResultDevice {
  device_id: number
  ip_address: string
  hostname: string
}

/**
 * One live cycle's results as columns, by device index: result i is devices[i]'s; its error text is
 * errors[error[i]] ('' for a reply). The cycle's rows as objects (ResultRow) are never made on the
 * hot path: 10,000 devices meant two objects and a timestamp string each, every cycle.
 */
export interface CycleColumns extends ResultColumns {
  devices: readonly ResultDevice[]
  errors: readonly string[]
}

/**
 * Result rows as columns: what the read-back of the CSV files hands over (from a worker thread) at
 * start. Texts (ip, hostname, error) are indexes into a string table that only grows; each batch
 * carries the strings it added, so the receiver keeps the same table.
 */
export interface ResultBatch extends ResultColumns {
  deviceId: Float64Array
  ip: Uint32Array
  hostname: Uint32Array
  /** strings added to the table by this batch, in index order */
  strings: string[]
}

/** The newest row of a device, and its newest success, as the read-back found them. */
export interface LastResults {
  last: ResultRow
  lastOk: { row: ResultRow, at: number } | null
  at: number
}

const FIELDS = CSV_COLUMNS.length
const HEADER = Buffer.from(CSV_COLUMNS[0] + ',')
const NL = 10
const CR = 13
const QUOTE = 34
const COMMA = 44
const DOT = 46
const ZERO = 48

/** a text field as last seen for a device: its bytes (to compare in place) and its string's index */
interface CachedText {
  bytes: Uint8Array
  idx: number
}

interface DeviceCache {
  ip: CachedText
  host: CachedText
  err: CachedText
  lastAt: number
  lastOk: boolean
  lastRtt: number
  lastErrIdx: number
  lastIpIdx: number
  lastHostIdx: number
  okAt: number
  okRtt: number
  okIpIdx: number
  okHostIdx: number
}

const EMPTY = new Uint8Array(0)

/**
 * Parses result lines into ResultBatch columns, `batchSize` rows at a time. Lines without a quote are
 * split by hand, as bytes (one line is always one row: the writer never writes a newline inside a
 * field); a line with a quote goes to papaparse. Malformed lines (a torn tail, a hand edit) are
 * counted and skipped. Rows outside [fromMs, toMs] are skipped.
 *
 * Costs per row are kept to a pass over its bytes: each device's last ip, hostname and error text are
 * compared in place, so a row usually makes no string at all (on this machine every fresh page of
 * memory costs ~20 us, so garbage is time).
 */
export class ResultColumnsParser {
  rows = 0
  malformed = 0
  private readonly table = new Map<string, number>()
  private readonly tableList: string[] = []
  private newStrings: string[] = []
  private readonly devices = new Map<number, DeviceCache>()
  private batch: ResultBatch
  private readonly commas = new Int32Array(FIELDS)
  // columns handed back by the receiver: fresh memory costs a page fault per 4 KiB (~20 us here)
  private readonly spare: ResultBatch[] = []
  // timestamp cache: rows of one cycle share the date and time up to the second (and the zone)
  private readonly tsKey = new Uint8Array(29)
  private tsValid = false
  private tsBase = 0

  constructor (private readonly opts: { fromMs: number, toMs: number, batchSize: number, emit: (b: ResultBatch) => void }) {
    this.intern('')
    this.batch = this.newBatch()
  }

  /** Parses every line of `text` (it ends at a line end, or is the file's last piece). */
  feed (text: string): void {
    const b = Buffer.from(text, 'utf8')
    this.feedBytes(b, 0, b.length)
  }

  /** Parses every line of buf[start, end) (it ends at a line end, or is the file's last piece). */
  feedBytes (buf: Buffer, start: number, end: number): void {
    const commas = this.commas
    let pos = start
    while (pos < end) {
      let n = 0
      let quoted = false
      let i = pos
      for (; i < end; i++) {
        const c = buf[i]
        if (c === NL) break
        if (c === COMMA) {
          if (n < FIELDS) commas[n] = i
          n++
        } else if (c === QUOTE) quoted = true
      }
      let lineEnd = i
      if (lineEnd > pos && buf[lineEnd - 1] === CR) lineEnd--
      if (lineEnd > pos) {
        if (quoted) this.quotedLine(buf.toString('utf8', pos, lineEnd))
        else if (n !== FIELDS - 1) this.bad(buf, pos, lineEnd)
        else this.plainLine(buf, pos, lineEnd)
      }
      pos = i + 1
    }
  }

  /** Hands over the rows not yet emitted. */
  flush (): void {
    if (this.batch.n === 0 && this.newStrings.length === 0) return
    const b = this.batch
    b.strings = this.newStrings
    this.newStrings = []
    this.opts.emit(shrink(b))
    this.batch = this.newBatch()
  }

  /** Each device's newest row and newest success seen (rows in the window only). */
  lastResults (format: (at: number) => string): Map<number, LastResults> {
    const out = new Map<number, LastResults>()
    const s = this.tableList
    for (const [id, c] of this.devices) {
      if (c.lastAt === -Infinity) continue
      const last: ResultRow = {
        timestamp: format(c.lastAt),
        device_id: id,
        ip_address: s[c.lastIpIdx],
        hostname: s[c.lastHostIdx],
        ping_success: c.lastOk,
        response_time_ms: Number.isNaN(c.lastRtt) ? null : c.lastRtt,
        error_message: s[c.lastErrIdx]
      }
      const lastOk = c.okAt === -Infinity
        ? null
        : {
            at: c.okAt,
            row: { timestamp: format(c.okAt), device_id: id, ip_address: s[c.okIpIdx], hostname: s[c.okHostIdx], ping_success: true, response_time_ms: Number.isNaN(c.okRtt) ? null : c.okRtt, error_message: '' }
          }
      out.set(id, { last, lastOk, at: c.lastAt })
    }
    return out
  }

  private plainLine (buf: Buffer, start: number, end: number): void {
    const cm = this.commas
    const at = this.parseTime(buf, start, cm[0])
    const id = parseId(buf, cm[0] + 1, cm[1])
    const ok = parseBool(buf, cm[3] + 1, cm[4])
    const rtt = parseRtt(buf, cm[4] + 1, cm[5])
    if (Number.isNaN(at) || id < 0 || ok === -1 || rtt === -1) return this.bad(buf, start, end)
    if (at < this.opts.fromMs || at > this.opts.toMs) return
    const c = this.cacheOf(id)
    const ipIdx = this.text(c.ip, buf, cm[1] + 1, cm[2])
    const hostIdx = this.text(c.host, buf, cm[2] + 1, cm[3])
    const errIdx = cm[5] + 1 === end ? 0 : this.text(c.err, buf, cm[5] + 1, end)
    this.push(c, id, at, ok === 1, rtt === -2 ? NaN : rtt, ipIdx, hostIdx, errIdx)
  }

  /** the string index of buf[start, end), compared in place with what the device had last time */
  private text (cached: CachedText, buf: Buffer, start: number, end: number): number {
    const old = cached.bytes
    if (old.length === end - start) {
      let i = 0
      while (i < old.length && old[i] === buf[start + i]) i++
      if (i === old.length) return cached.idx
    }
    cached.bytes = new Uint8Array(buf.subarray(start, end))
    cached.idx = this.intern(buf.toString('utf8', start, end))
    return cached.idx
  }

  private quotedLine (line: string): void {
    const rec = Papa.parse<string[]>(line, { header: false }).data[0]
    if (rec === undefined || rec.length !== FIELDS) return this.badText(line)
    const [ts, idText, , , okText, rttText] = rec.map((f) => Buffer.from(f, 'utf8'))
    const at = this.parseTime(ts, 0, ts.length)
    const id = parseId(idText, 0, idText.length)
    const ok = parseBool(okText, 0, okText.length)
    const rtt = parseRtt(rttText, 0, rttText.length)
    if (Number.isNaN(at) || id < 0 || ok === -1 || rtt === -1) return this.badText(line)
    if (at < this.opts.fromMs || at > this.opts.toMs) return
    const c = this.cacheOf(id)
    this.push(c, id, at, ok === 1, rtt === -2 ? NaN : rtt, this.intern(rec[2]), this.intern(rec[3]), this.intern(rec[6]))
  }

  private push (c: DeviceCache, id: number, at: number, ok: boolean, rtt: number, ipIdx: number, hostIdx: number, errIdx: number): void {
    const b = this.batch
    const i = b.n++
    b.at[i] = at
    b.deviceId[i] = id
    b.rtt[i] = rtt
    b.ok[i] = ok ? 1 : 0
    b.ip[i] = ipIdx
    b.hostname[i] = hostIdx
    b.error[i] = errIdx
    this.rows++
    if (at >= c.lastAt) {
      c.lastAt = at
      c.lastOk = ok
      c.lastRtt = rtt
      c.lastErrIdx = errIdx
      c.lastIpIdx = ipIdx
      c.lastHostIdx = hostIdx
    }
    if (ok && at >= c.okAt) {
      c.okAt = at
      c.okRtt = rtt
      c.okIpIdx = ipIdx
      c.okHostIdx = hostIdx
    }
    if (b.n === this.opts.batchSize) this.flush()
  }

  private bad (buf: Buffer, start: number, end: number): void {
    // the header line (each file starts with one) is not a fault
    if (end - start >= HEADER.length && buf.compare(HEADER, 0, HEADER.length, start, start + HEADER.length) === 0) return
    this.malformed++
  }

  private badText (line: string): void {
    if (!line.startsWith(HEADER.toString())) this.malformed++
  }

  private cacheOf (id: number): DeviceCache {
    let c = this.devices.get(id)
    if (c === undefined) {
      c = {
        ip: { bytes: EMPTY, idx: 0 },
        host: { bytes: EMPTY, idx: 0 },
        err: { bytes: EMPTY, idx: 0 },
        lastAt: -Infinity,
        lastOk: false,
        lastRtt: NaN,
        lastErrIdx: 0,
        lastIpIdx: 0,
        lastHostIdx: 0,
        okAt: -Infinity,
        okRtt: NaN,
        okIpIdx: 0,
        okHostIdx: 0
      }
      this.devices.set(id, c)
    }
    return c
  }

  private intern (s: string): number {
    let i = this.table.get(s)
    if (i === undefined) {
      i = this.tableList.length
      this.table.set(s, i)
      this.tableList.push(s)
      this.newStrings.push(s)
    }
    return i
  }

  /** The timestamps this service writes (2026-11-25T17:04:05.123+07:00); any other form via Date.parse. */
  private parseTime (buf: Buffer, start: number, end: number): number {
    if (end - start !== 29 || buf[start + 19] !== DOT) return Date.parse(buf.toString('utf8', start, end))
    const key = this.tsKey
    let same = this.tsValid
    // the cached second and zone: bytes 0-18 and 23-28
    for (let i = 0; same && i < 19; i++) if (key[i] !== buf[start + i]) same = false
    for (let i = 23; same && i < 29; i++) if (key[i] !== buf[start + i]) same = false
    if (!same) {
      const base = Date.parse(buf.toString('latin1', start, start + 20) + '000' + buf.toString('latin1', start + 23, end))
      if (Number.isNaN(base)) return NaN
      key.set(buf.subarray(start, end))
      this.tsValid = true
      this.tsBase = base
    }
    const d1 = buf[start + 20] - ZERO
    const d2 = buf[start + 21] - ZERO
    const d3 = buf[start + 22] - ZERO
    if (d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9 || d3 < 0 || d3 > 9) return Date.parse(buf.toString('utf8', start, end))
    return this.tsBase + d1 * 100 + d2 * 10 + d3
  }

  /** Gives a batch's columns back once the receiver is done with them: the next batches reuse them. */
  recycle (b: ResultBatch): void {
    if (b.at.length === this.opts.batchSize) this.spare.push(b)
  }

  private newBatch (): ResultBatch {
    const spare = this.spare.pop()
    if (spare !== undefined) {
      spare.n = 0
      spare.strings = []
      return spare
    }
    const n = this.opts.batchSize
    return {
      n: 0,
      at: new Float64Array(n),
      deviceId: new Float64Array(n),
      rtt: new Float64Array(n),
      ok: new Uint8Array(n),
      ip: new Uint32Array(n),
      hostname: new Uint32Array(n),
      error: new Uint32Array(n),
      strings: []
    }
  }
}

/** a device id: digits only, a safe integer; -1 otherwise */
function parseId (buf: Uint8Array, start: number, end: number): number {
  if (end === start || end - start > 15) return -1
  let v = 0
  for (let i = start; i < end; i++) {
    const d = buf[i] - ZERO
    if (d < 0 || d > 9) return -1
    v = v * 10 + d
  }
  return v
}

/** 1 true, 0 false, -1 anything else */
function parseBool (buf: Uint8Array, start: number, end: number): number {
  // t r u e / f a l s e
  if (end - start === 4 && buf[start] === 116 && buf[start + 1] === 114 && buf[start + 2] === 117 && buf[start + 3] === 101) return 1
  if (end - start === 5 && buf[start] === 102 && buf[start + 1] === 97 && buf[start + 2] === 108 && buf[start + 3] === 115 && buf[start + 4] === 101) return 0
  return -1
}

/** the round-trip in ms; -2 for an empty field, -1 for a malformed one */
function parseRtt (buf: Buffer, start: number, end: number): number {
  if (end === start) return -2
  // the writer's form: digits, a dot, two digits
  let v = 0
  let i = start
  for (; i < end; i++) {
    const d = buf[i] - ZERO
    if (d < 0 || d > 9) break
    v = v * 10 + d
  }
  if (i > start && i === end - 3 && buf[i] === DOT) {
    const a = buf[i + 1] - ZERO
    const b = buf[i + 2] - ZERO
    if (a >= 0 && a <= 9 && b >= 0 && b <= 9) return (v * 100 + a * 10 + b) / 100
  }
  const s = buf.toString('latin1', start, end)
  // what Number() takes beyond plain decimals (hex, whitespace, Infinity) is not what the writer writes
  if (!/^\d+(\.\d+)?(e[+-]?\d+)?$/i.test(s)) return -1
  const x = Number(s)
  return Number.isFinite(x) ? x : -1
}

function shrink (b: ResultBatch): ResultBatch {
  if (b.n === b.at.length) return b
  return {
    n: b.n,
    at: b.at.slice(0, b.n),
    deviceId: b.deviceId.slice(0, b.n),
    rtt: b.rtt.slice(0, b.n),
    ok: b.ok.slice(0, b.n),
    ip: b.ip.slice(0, b.n),
    hostname: b.hostname.slice(0, b.n),
    error: b.error.slice(0, b.n),
    strings: b.strings
  }
}
