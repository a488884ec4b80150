import type { Static } from 'typebox'
import type { ResultRowSchema } from '../schemas/common.js'
import { formatLocalIso } from '../lib/local-time.js'
import type { CycleColumns, ResultDevice } from './result-columns.js'

/** One ping result as stored in CSV and served by the API. */
export type ResultRow = Static<typeof ResultRowSchema>

export const CSV_COLUMNS = ['timestamp', 'device_id', 'ip_address', 'hostname', 'ping_success', 'response_time_ms', 'error_message'] as const
export const CSV_HEADER = CSV_COLUMNS.join(',') + '\n'

// One row is always one line: a torn tail can then be cut at the last newline without ever splitting
// a quoted field. Control characters (a person can type them into the inventory) become spaces.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g
export const cleanCsvText = (s: string) => s.replace(CONTROL, ' ')
const clean = cleanCsvText

export function roundMs (ms: number): number {
  return Math.round(ms * 100) / 100
}

// what papaparse's unparse (quotes: false) quotes: a comma, a quote, a line break or a byte order mark
// anywhere, or a space at either end (control characters are already spaces here)
const NEEDS_QUOTES = /[",\r\n\ufeff]|^ | $/
const QUOTE = /"/g

/** One field as papaparse's unparse writes it (test/storage/result-row.test.ts holds them to it). */
export function csvField (s: string): string {
  return NEEDS_QUOTES.test(s) ? '"' + s.replace(QUOTE, '""') + '"' : s
}

// one test for the common case: nothing to clean and nothing to quote
// eslint-disable-next-line no-control-regex
const PLAIN = /[\u0000-\u001f\u007f",\ufeff]|^ | $/

/** A text field cleaned of control characters, then as papaparse's unparse writes it. */
export function csvTextField (s: string): string {
  return PLAIN.test(s) ? csvField(clean(s)) : s
}
const textField = csvTextField

/**
 * CSV lines (each ending in \n) for rows, quoted exactly as papaparse's unparse quotes them (the
 * format of the files written before). Written by hand because unparse builds an array per row and
 * tests every field against four patterns (10,000 rows: 20–24 ms of CPU with papaparse, 11–12 ms
 * so, measured; a Map of the quoted strings, which repeat every cycle, was slower). Formula-like text
 * (a hostname starting with =, +, - or @) is written as it is, not escaped: the files are this
 * service's data, read back at start, and an escape would change the values (see README, CSV files).
 */
export function formatCsvRows (rows: ResultRow[]): string {
  // a success's error is '': no pattern test for it (most rows of most cycles)
  let out = ''
  for (const r of rows) {
    out += r.timestamp + ',' + String(r.device_id) + ',' + textField(r.ip_address) + ',' + textField(r.hostname) + ',' +
      (r.ping_success ? 'true' : 'false') + ',' + (r.response_time_ms === null ? '' : r.response_time_ms.toFixed(2)) + ',' + (r.error_message === '' ? '' : textField(r.error_message)) + '\n'
  }
  return out
}

/** Result i of a cycle's columns as a row. */
export function rowAt (c: CycleColumns, i: number): ResultRow {
  const d = c.devices[i]
  const rtt = c.rtt[i]
  const ok = c.ok[i] === 1
  return {
    timestamp: formatLocalIso(c.at[i]),
    device_id: d.device_id,
    ip_address: d.ip_address,
    hostname: d.hostname,
    ping_success: ok,
    response_time_ms: Number.isNaN(rtt) ? null : rtt,
    error_message: ok ? '' : c.errors[c.error[i]]
  }
}

/**
 * Every device's `,device_id,ip,hostname,` as its lines carry it (UTF-8 bytes), packed in one buffer
 * per device list, device i's at [start[i], start[i + 1]): the monitor gives the same list every cycle
 * until the inventory changes, and the fields are the same text every cycle. A Buffer per device, as
 * before, was 50,000 objects (~5 MB of heap) at 50,000 devices. Checked per row against the device's
 * fields: a device changed in place has the list packed again (rare: a reload makes a new list).
 */
interface DeviceFields { ids: Float64Array, ips: string[], hosts: string[], bytes: Buffer, start: Uint32Array }
const deviceFieldsOf = new WeakMap<readonly ResultDevice[], DeviceFields>()

function deviceFields (devices: readonly ResultDevice[], from: number, to: number): DeviceFields {
  const f = deviceFieldsOf.get(devices)
  if (f !== undefined && f.ids.length === devices.length && fieldsCurrent(f, devices, from, to)) return f
  const packed = packFields(devices)
  deviceFieldsOf.set(devices, packed)
  return packed
}

function fieldsCurrent (f: DeviceFields, devices: readonly ResultDevice[], from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const d = devices[i]
    if (f.ids[i] !== d.device_id || f.ips[i] !== d.ip_address || f.hosts[i] !== d.hostname) return false
  }
  return true
}

function packFields (devices: readonly ResultDevice[]): DeviceFields {
  const n = devices.length
  const texts = new Array<string>(n)
  let size = 0
  for (let i = 0; i < n; i++) {
    const d = devices[i]
    texts[i] = ',' + String(d.device_id) + ',' + textField(d.ip_address) + ',' + textField(d.hostname) + ','
    size += Buffer.byteLength(texts[i])
  }
  // its own memory, not a slice of Buffer's shared pool (which it would keep alive)
  const bytes = Buffer.allocUnsafeSlow(size)
  const start = new Uint32Array(n + 1)
  let pos = 0
  for (let i = 0; i < n; i++) {
    start[i] = pos
    pos += bytes.write(texts[i], pos)
  }
  start[n] = pos
  return { ids: Float64Array.from(devices, (d) => d.device_id), ips: devices.map((d) => d.ip_address), hosts: devices.map((d) => d.hostname), bytes, start }
}

const TRUE = Buffer.from('true,')
const FALSE = Buffer.from('false,')
const COMMA = 44
const NL = 10
const ZERO = 48
/** the longest a line's fixed parts take: timestamp (29), `false,` (6), a time (toFixed: up to 21 digits, a sign, a dot and 2 more), `,`, `\n` */
const FIXED_MAX = 29 + 6 + 25 + 2
/** the current second's timestamp as bytes (its last 3 digits of ms are patched per row) */
const tsBytes = Buffer.alloc(29)
let tsSecond = NaN

/** writes `at` as formatLocalIso writes it; returns the end */
function writeTimestamp (buf: Buffer, pos: number, at: number): number {
  const second = Math.floor(at / 1000)
  const millis = at - second * 1000
  // fractions of a ms (never from the monitor) or an unusual form: the string, as formatLocalIso gives it
  if (!Number.isInteger(millis)) return pos + buf.write(formatLocalIso(at), pos, 'latin1')
  if (second !== tsSecond) {
    const iso = formatLocalIso(second * 1000)
    if (iso.length !== 29) return pos + buf.write(formatLocalIso(at), pos, 'latin1')
    tsBytes.write(iso, 0, 'latin1')
    tsSecond = second
  }
  buf.set(tsBytes, pos)
  buf[pos + 20] = ZERO + Math.floor(millis / 100)
  buf[pos + 21] = ZERO + Math.floor(millis / 10) % 10
  buf[pos + 22] = ZERO + millis % 10
  return pos + 29
}

/**
 * The CSV lines of results [from, to) of a cycle, written from the columns as bytes: the same bytes
 * as formatCsvRows gives for the cycle's rows, encoded (test/storage/result-row.test.ts holds them to
 * it). Bytes, not a string: a cycle's lines as one string were ~80,000 concatenated pieces at 10,000
 * devices, all garbage once encoded for the write.
 */
export function formatCsvColumns (c: CycleColumns, from: number, to: number): Buffer {
  const f = deviceFields(c.devices, from, to)
  const fields = f.bytes
  const start = f.start
  // the error field of each distinct text, once per call (a cycle has a handful)
  const errBytes = new Array<Uint8Array | undefined>(c.errors.length)
  let size = 0
  for (let i = from; i < to; i++) {
    size += start[i + 1] - start[i] + FIXED_MAX
    if (c.ok[i] !== 1) {
      const e = c.error[i]
      size += (errBytes[e] ??= Buffer.from(c.errors[e] === '' ? '' : textField(c.errors[e]))).length
    }
  }
  const buf = Buffer.allocUnsafe(size)
  let pos = 0
  for (let i = from; i < to; i++) {
    pos = writeTimestamp(buf, pos, c.at[i])
    // ~30 bytes: a loop, not a native call per row
    for (let k = start[i], end = start[i + 1]; k < end; k++) buf[pos++] = fields[k]
    const ok = c.ok[i] === 1
    const flag = ok ? TRUE : FALSE
    buf.set(flag, pos)
    pos += flag.length
    const rtt = c.rtt[i]
    if (!Number.isNaN(rtt)) {
      // a few ASCII characters: a loop, not a native call per row
      const t = rtt.toFixed(2)
      for (let k = 0; k < t.length; k++) buf[pos++] = t.charCodeAt(k)
    }
    buf[pos++] = COMMA
    if (!ok) {
      const e = errBytes[c.error[i]] as Uint8Array
      buf.set(e, pos)
      pos += e.length
    }
    buf[pos++] = NL
  }
  return buf.subarray(0, pos)
}

/** A cycle's results as a run for the result files' writer (src/storage/csv-writer.ts). */
export function cycleCsvRun (c: CycleColumns): { n: number, at: (i: number) => number, row: (i: number) => ResultRow, format: (from: number, to: number) => Buffer } {
  return { n: c.n, at: (i) => c.at[i], row: (i) => rowAt(c, i), format: (from, to) => formatCsvColumns(c, from, to) }
}
