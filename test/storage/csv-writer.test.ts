import t from 'tap'
import { appendFileSync, mkdirSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Papa from 'papaparse'
import { CsvWriter, repairTornTail } from '../../src/storage/csv-writer.js'
import { CSV_HEADER, cycleCsvRun, formatCsvRows, type ResultRow } from '../../src/storage/result-row.js'
import { cycleOfRows } from '../../src/monitor/cycle.js'
import { formatLocalIso, localDateKey } from '../../src/lib/local-time.js'
import { readHistory } from '../../src/storage/history-reader.js'
import { tempDir, waitFor } from '../helper.js'

const silent = { info () {}, warn () {}, error () {} }
const at0 = new Date(2026, 10, 25, 12, 0, 0, 5).getTime()

function row (id: number, at: number, ok = true, extra: Partial<ResultRow> = {}): { row: ResultRow, at: number } {
  return {
    at,
    row: { timestamp: formatLocalIso(at), device_id: id, ip_address: `127.0.0.${id}`, hostname: `dev-${id}`, ping_success: ok, response_time_ms: ok ? 0.1234 * id : null, error_message: ok ? '' : 'No response (timeout)', ...extra }
  }
}

const parse = (path: string) => Papa.parse<string[]>(readFileSync(path, 'utf8'), { skipEmptyLines: true }).data

t.test('timestamps: ISO 8601 local time with milliseconds and offset', async (t) => {
  const s = formatLocalIso(at0)
  t.match(s, /^2026-11-25T12:00:00\.005[+-]\d\d:\d\d$/)
  t.equal(Date.parse(s), at0)
})

t.test('file format: exact header, true/false, 2 decimals, empty fields, quoting', async (t) => {
  const dir = tempDir(t)
  const w = new CsvWriter({ dir, maxRecords: 0, retentionDays: 0, bufferMaxRows: 1000, log: silent })
  await w.init()
  await w.write([row(1, at0), row(2, at0 + 1, false), row(3, at0 + 2, true, { hostname: 'a,"b"\nc' })])
  const file = join(dir, `ping_results_${localDateKey(at0)}.csv`)
  const text = readFileSync(file, 'utf8')
  t.ok(text.startsWith('timestamp,device_id,ip_address,hostname,ping_success,response_time_ms,error_message\n'))
  const lines = text.trimEnd().split('\n')
  t.equal(lines.length, 4, 'one line per row; control characters never split a row')
  t.equal(lines[1], `${formatLocalIso(at0)},1,127.0.0.1,dev-1,true,0.12,`)
  t.equal(lines[2], `${formatLocalIso(at0 + 1)},2,127.0.0.2,dev-2,false,,No response (timeout)`)
  t.same(parse(file)[3].slice(3, 6), ['a,"b" c', 'true', '0.37'])
  t.equal(w.status().rows_written, 3)
})

t.test('a flush of thousands of rows (formatted 1,000 at a time) writes exactly the lines of one formatting, in order', async (t) => {
  const dir = tempDir(t)
  const w = new CsvWriter({ dir, maxRecords: 0, retentionDays: 0, bufferMaxRows: 10_000, log: silent })
  await w.init()
  // 2,345 rows, some with multi-byte UTF-8 and quoted text, so piece edges fall inside no character
  const rows = Array.from({ length: 2345 }, (_, i) => row(i + 1, at0 + i, i % 5 !== 0, i % 7 === 0 ? { hostname: `perangkat-é-${i},"x"` } : {}))
  await w.write(rows)
  const text = readFileSync(join(dir, `ping_results_${localDateKey(at0)}.csv`), 'utf8')
  t.equal(text, CSV_HEADER + formatCsvRows(rows.map((r) => r.row)))
})

t.test('rollover at MAX_CSV_RECORDS continues in _2, _3; a restart continues the count', async (t) => {
  const dir = tempDir(t)
  const w = new CsvWriter({ dir, maxRecords: 4, retentionDays: 0, bufferMaxRows: 1000, log: silent })
  await w.init()
  await w.write([1, 2, 3].map((i) => row(i, at0 + i)))
  await w.write([4, 5, 6].map((i) => row(i, at0 + i)))
  const w2 = new CsvWriter({ dir, maxRecords: 4, retentionDays: 0, bufferMaxRows: 1000, log: silent })
  await w2.init()
  await w2.write([7, 8, 9, 10].map((i) => row(i, at0 + i)))
  const key = localDateKey(at0)
  t.same(readdirSync(dir).sort(), [`ping_results_${key}.csv`, `ping_results_${key}_2.csv`, `ping_results_${key}_3.csv`])
  t.same(parse(join(dir, `ping_results_${key}.csv`)).slice(1).map((r) => r[1]), ['1', '2', '3', '4'])
  t.same(parse(join(dir, `ping_results_${key}_2.csv`)).slice(1).map((r) => r[1]), ['5', '6', '7', '8'])
  t.same(parse(join(dir, `ping_results_${key}_3.csv`)).map((r) => r[1]), ['device_id', '9', '10'])
})

t.test('a restart counts the rows of a day file larger than the longest string V8 makes (512 MB)', async (t) => {
  const dir = tempDir(t)
  const key = localDateKey(at0)
  const file = join(dir, `ping_results_${key}.csv`)
  // the header, 600 MB without a newline (sparse: nothing written to the disk), then 3 rows
  writeFileSync(file, CSV_HEADER)
  truncateSync(file, 600 * 1024 * 1024)
  appendFileSync(file, '\n' + formatCsvRows([row(1, at0 + 1).row, row(2, at0 + 2).row]))
  const w = new CsvWriter({ dir, maxRecords: 4, retentionDays: 0, bufferMaxRows: 1000, log: silent })
  await w.init()
  // 3 data lines (the long one and two rows) counted: the fourth row fills the file, the fifth opens _2
  await w.write([3, 4].map((i) => row(i, at0 + 2 + i)))
  t.same(readdirSync(dir).sort(), [`ping_results_${key}.csv`, `ping_results_${key}_2.csv`])
  t.same(parse(join(dir, `ping_results_${key}_2.csv`)).map((r) => r[1]), ['device_id', '4'])
})

t.test('rows land in the file of their own local date', async (t) => {
  const dir = tempDir(t)
  const w = new CsvWriter({ dir, maxRecords: 0, retentionDays: 0, bufferMaxRows: 1000, log: silent })
  const midnight = new Date(2026, 10, 26, 0, 0, 0, 0).getTime()
  await w.write([row(1, midnight - 1), row(2, midnight)])
  t.same(parse(join(dir, 'ping_results_20261125.csv')).slice(1).map((r) => r[1]), ['1'])
  t.same(parse(join(dir, 'ping_results_20261126.csv')).slice(1).map((r) => r[1]), ['2'])
})

t.test('a flush whose dates alternate (a cycle across midnight) writes each file once, rows in their order', async (t) => {
  const dir = tempDir(t)
  const written: any[] = []
  const w = new CsvWriter({ dir, maxRecords: 0, retentionDays: 0, bufferMaxRows: 1000, log: { ...silent, debug: (o: object, msg?: string) => { if (msg === 'CSV rows written') written.push(o) } } })
  const midnight = new Date(2026, 10, 26, 0, 0, 0, 0).getTime()
  // answered devices just before midnight, timed-out ones just after, in device order
  await w.write(Array.from({ length: 10 }, (_, i) => row(i + 1, i % 2 === 0 ? midnight - 500 + i : midnight + 500 + i)))
  t.same(parse(join(dir, 'ping_results_20261125.csv')).slice(1).map((r) => r[1]), ['1', '3', '5', '7', '9'])
  t.same(parse(join(dir, 'ping_results_20261126.csv')).slice(1).map((r) => r[1]), ['2', '4', '6', '8', '10'])
  t.same(written.map((o) => [o.file, o.rows]), [['ping_results_20261125.csv', 5], ['ping_results_20261126.csv', 5]], 'one write per file')
})

t.test('a torn last line is cut at start, and readers skip malformed lines', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, `ping_results_${localDateKey(at0)}.csv`)
  writeFileSync(file, CSV_HEADER + formatCsvRows([row(1, at0).row]) + '2026-11-25T12:00:00.006+00:00,2,127.0.0.2,de')
  t.equal(await repairTornTail(file), '2026-11-25T12:00:00.006+00:00,2,127.0.0.2,de'.length)
  t.equal(readFileSync(file, 'utf8'), CSV_HEADER + formatCsvRows([row(1, at0).row]))
  writeFileSync(file, 'timestamp,dev')
  const w = new CsvWriter({ dir, maxRecords: 0, retentionDays: 0, bufferMaxRows: 1000, log: silent })
  await w.init()
  await w.write([row(3, at0)])
  t.equal(readFileSync(file, 'utf8'), CSV_HEADER + formatCsvRows([row(3, at0).row]), 'a torn header is rewritten')
  writeFileSync(file, readFileSync(file, 'utf8') + 'garbage,line\n' + formatCsvRows([row(4, at0 + 10).row]))
  const seen: number[] = []
  const r = await readHistory({ dir, fromMs: at0 - 1000, toMs: at0 + 1000 }, (b) => { for (let i = 0; i < b.n; i++) seen.push(b.deviceId[i]) })
  t.same(seen, [3, 4])
  t.equal(r.malformed, 1)
})

t.test('retention deletes files of days past CSV_RETENTION_DAYS only', async (t) => {
  const dir = tempDir(t)
  const now = new Date(2026, 10, 25, 10).getTime()
  for (const name of ['ping_results_20261020.csv', 'ping_results_20261025.csv', 'ping_results_20261026_2.csv', 'ping_results_20261124.csv', 'notes.csv']) writeFileSync(join(dir, name), CSV_HEADER)
  const w = new CsvWriter({ dir, maxRecords: 0, retentionDays: 30, bufferMaxRows: 1000, log: silent, now: () => now })
  await w.init()
  t.same(readdirSync(dir).sort(), ['notes.csv', 'ping_results_20261026_2.csv', 'ping_results_20261124.csv'])
})

t.test('when writing fails, rows wait in a bounded buffer and are written in order later', async (t) => {
  const base = tempDir(t)
  const dir = join(base, 'out')
  writeFileSync(dir, 'a file where the directory should be')
  const errors: string[] = []
  const w = new CsvWriter({ dir, maxRecords: 0, retentionDays: 0, bufferMaxRows: 1000, log: { ...silent, error: (_o, m) => errors.push(String(m)) } })
  await w.write([row(1, at0), row(2, at0 + 1)])
  await w.write([row(3, at0 + 2)])
  t.match(w.status(), { healthy: false, pending_rows: 3, rows_written: 0, dropped_rows: 0 })
  t.match(w.status().last_error, /cannot write CSV files/)
  t.equal(errors.length, 1, 'logged once per outage, not per cycle')
  rmSync(dir)
  mkdirSync(dir)
  await w.write([row(4, at0 + 3)])
  t.match(w.status(), { healthy: true, pending_rows: 0, rows_written: 4 })
  t.same(parse(join(dir, `ping_results_${localDateKey(at0)}.csv`)).slice(1).map((r) => r[1]), ['1', '2', '3', '4'])
})

t.test('buffer overflow drops the oldest and counts them', async (t) => {
  const base = tempDir(t)
  const dir = join(base, 'out')
  writeFileSync(dir, 'x')
  const w = new CsvWriter({ dir, maxRecords: 0, retentionDays: 0, bufferMaxRows: 1000, log: silent })
  await w.write(Array.from({ length: 1500 }, (_, i) => row(i, at0 + i)))
  t.match(w.status(), { pending_rows: 1000, dropped_rows: 500 })
  rmSync(dir)
  await w.write([])
  const ids = parse(join(dir, `ping_results_${localDateKey(at0)}.csv`)).slice(1).map((r) => Number(r[1]))
  t.equal(ids.length, 1000)
  t.equal(ids[0], 500)
})

/** A setTimer that arms nothing by itself: the test fires what is armed and reads the delays asked for. */
function manualTimers () {
  const armed: Array<{ fn: () => void, ms: number, cleared: boolean }> = []
  return {
    armed,
    setTimer: (fn: () => void, ms: number) => {
      const a = { fn, ms, cleared: false }
      armed.push(a)
      return { clear: () => { a.cleared = true } }
    },
    live: () => armed.filter((a) => !a.cleared),
    fire: () => {
      const a = armed.filter((x) => !x.cleared).at(-1)
      if (a === undefined) throw new Error('no retry armed')
      a.cleared = true
      a.fn()
    }
  }
}

t.test('a failed write is retried on its own timer, 1 s doubling to 30 s, with no new rows; written once it works', async (t) => {
  const dir = join(tempDir(t), 'out')
  writeFileSync(dir, 'a file where the directory should be')
  const timers = manualTimers()
  const infos: string[] = []
  const w = new CsvWriter({ dir, maxRecords: 0, retentionDays: 0, bufferMaxRows: 1000, log: { ...silent, info: (_o: object, m?: string) => infos.push(String(m)) }, setTimer: timers.setTimer })
  await w.write([row(1, at0), row(2, at0 + 1)])
  t.same(timers.live().map((a) => a.ms), [1000], 'one retry armed after the failure')
  // a new row that fails too is tried at once and leaves the armed retry as it is
  await w.write([row(3, at0 + 2)])
  t.same(timers.armed.map((a) => a.ms), [1000])
  const delays: number[] = []
  for (let i = 0; i < 7; i++) {
    timers.fire()
    await w.settled()
    delays.push(...timers.live().map((a) => a.ms))
  }
  t.same(delays, [2000, 4000, 8000, 16000, 30000, 30000, 30000], 'each failed retry doubles the wait, up to 30 s')
  t.match(w.status(), { healthy: false, pending_rows: 3, rows_written: 0, write_errors: 9 })

  rmSync(dir)
  mkdirSync(dir)
  timers.fire()
  await w.settled()
  t.match(w.status(), { healthy: true, last_error: null, failing_since: null, pending_rows: 0, rows_written: 3 })
  t.same(timers.live(), [], 'no retry armed once everything is written')
  t.match(infos, [/CSV writing works again/])
  t.same(parse(join(dir, `ping_results_${localDateKey(at0)}.csv`)).slice(1).map((r) => r[1]), ['1', '2', '3'], 'in order, each once')

  // the next outage starts again at 1 s
  rmSync(dir, { recursive: true })
  writeFileSync(dir, 'x')
  await w.write([row(4, at0 + 3)])
  t.same(timers.live().map((a) => a.ms), [1000])
  // a write that works clears the armed retry
  rmSync(dir)
  mkdirSync(dir)
  await w.write([row(5, at0 + 4)])
  t.same(timers.live(), [])
  t.same(parse(join(dir, `ping_results_${localDateKey(at0)}.csv`)).slice(1).map((r) => r[1]), ['4', '5'])
})

t.test('close() clears the retry timer and arms no other; drain() alone keeps retrying', async (t) => {
  const dir = join(tempDir(t), 'out')
  writeFileSync(dir, 'x')
  const timers = manualTimers()
  const w = new CsvWriter({ dir, maxRecords: 0, retentionDays: 0, bufferMaxRows: 1000, log: silent, setTimer: timers.setTimer })
  await w.write([row(1, at0)])
  await w.drain()
  t.equal(timers.live().length, 1, 'still retried after a drain that could not write')
  await w.close()
  t.same(timers.live(), [], 'cleared')
  await w.write([row(2, at0 + 1)])
  t.same(timers.live(), [], 'none armed after close')
  t.equal(w.status().pending_rows, 2)
  t.same(w.unwritten().map((r) => r.device_id), [1, 2])
})

t.test('the default retry timer is a real one and does not hold the process', async (t) => {
  const dir = join(tempDir(t), 'out')
  writeFileSync(dir, 'x')
  const w = new CsvWriter({ dir, maxRecords: 0, retentionDays: 0, bufferMaxRows: 1000, log: silent, retryFirstMs: 20, retryMaxMs: 40 })
  await w.write([row(1, at0), row(2, at0 + 1)])
  t.equal(w.status().healthy, false)
  await new Promise((resolve) => setTimeout(resolve, 150))
  rmSync(dir)
  mkdirSync(dir)
  await waitFor(() => w.status().healthy, 2000, 'written by the retry')
  t.match(w.status(), { pending_rows: 0, rows_written: 2 })
  t.same(parse(join(dir, `ping_results_${localDateKey(at0)}.csv`)).slice(1).map((r) => r[1]), ['1', '2'])
  // an outage left as it is: the unref'd timer must not keep this test process alive
  rmSync(dir, { recursive: true })
  writeFileSync(dir, 'x')
  await w.write([row(3, at0 + 2)])
  t.equal(w.status().healthy, false)
})

t.test('a cycle written from its columns gives the same files as its rows, across midnight and rollover files', async (t) => {
  const midnight = new Date(2026, 10, 26, 0, 0, 0, 0).getTime()
  // answered before midnight, timed out after, interleaved by device; then a second cycle after midnight
  const first = Array.from({ length: 11 }, (_, i) => row(i + 1, i % 3 === 0 ? midnight + 700 + i : midnight - 300 + i, i % 3 !== 0, i === 4 ? { hostname: 'a, "b"' } : {}))
  const second = Array.from({ length: 4 }, (_, i) => row(i + 1, midnight + 5000 + i, i !== 2))
  const files = async (write: (w: CsvWriter, rows: Array<{ row: ResultRow, at: number }>) => Promise<void>) => {
    const dir = tempDir(t)
    const w = new CsvWriter({ dir, maxRecords: 3, retentionDays: 0, bufferMaxRows: 1000, log: silent })
    await write(w, first)
    await write(w, second)
    t.match(w.status(), { healthy: true, pending_rows: 0, rows_written: 15 })
    return Object.fromEntries(readdirSync(dir).sort().map((n) => [n, readFileSync(join(dir, n), 'utf8')]))
  }
  const byRows = await files((w, rows) => w.write(rows))
  const byColumns = await files((w, rows) => w.writeRun(cycleCsvRun(cycleOfRows(rows))))
  t.same(Object.keys(byRows), ['ping_results_20261125.csv', 'ping_results_20261125_2.csv', 'ping_results_20261125_3.csv', 'ping_results_20261126.csv', 'ping_results_20261126_2.csv', 'ping_results_20261126_3.csv'])
  t.same(byColumns, byRows, 'byte for byte')
})

t.test('a cycle waits as columns while writing fails: the oldest results overflow, the rest are written in order', async (t) => {
  const base = tempDir(t)
  const dir = join(base, 'out')
  writeFileSync(dir, 'a file where the directory should be')
  const w = new CsvWriter({ dir, maxRecords: 0, retentionDays: 0, bufferMaxRows: 7, log: silent })
  const run = (from: number) => cycleCsvRun(cycleOfRows(Array.from({ length: 5 }, (_, i) => row(from + i, at0 + from + i))))
  await w.writeRun(run(1))
  await w.writeRun(run(6))
  t.match(w.status(), { healthy: false, pending_rows: 7, dropped_rows: 3 })
  t.same(w.unwritten().map((r) => r.device_id), [4, 5, 6, 7, 8, 9, 10], 'the first cycle\'s oldest three dropped, part of it kept')
  rmSync(dir)
  mkdirSync(dir)
  await w.drain()
  await w.writeRun(run(11))
  t.match(w.status(), { healthy: true, pending_rows: 0, rows_written: 12, dropped_rows: 3 })
  t.same(parse(join(dir, `ping_results_${localDateKey(at0)}.csv`)).slice(1).map((r) => Number(r[1])), [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
})
