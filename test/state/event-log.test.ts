import t from 'tap'
import fc from 'fast-check'
import Papa from 'papaparse'
import { appendFileSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { localDateKey } from '../../src/lib/local-time.js'
import { EventLog, scanEvents } from '../../src/state/event-log.js'
import { formatEventRows, parseEventRecord, toEventRow, type EventRow } from '../../src/state/event-row.js'
import { listCsvFiles } from '../../src/storage/csv-files.js'
import { cleanCsvText } from '../../src/storage/result-row.js'
import { tempDir, waitFor } from '../helper.js'

const silent = { info () {}, warn () {}, error () {} }
const DAY = 86_400_000
const noonToday = new Date(new Date().setHours(12, 0, 0, 0)).getTime()

const event = (id: number, at: number): { row: EventRow, at: number } => ({
  row: toEventRow({ device_id: id, ip_address: `127.0.0.${id}`, hostname: `h${id}`, from: 'up', to: 'down', at, reason: '3 failed pings in a row; last error: No response (timeout)', consecutive_failures: 3, last_error: 'x', down_since: at }),
  at
})

async function readAll (dir: string, fromMs = 0, toMs = Date.now() + DAY, deviceId?: number) {
  const out: EventRow[] = []
  const r = await scanEvents({ dir, fromMs, toMs, deviceId }, (row) => { out.push(row) })
  return { rows: out, malformed: r.malformed }
}

t.test('one file per local date, header first, one line per event, read back the same', async (t) => {
  const dir = tempDir(t)
  const log = new EventLog({ dir, retentionDays: 0, bufferMax: 100, log: silent })
  await log.write([event(1, noonToday - DAY), event(2, noonToday)])
  await log.write([event(3, noonToday + 1000)])
  const names = readdirSync(dir).sort()
  t.same(names, [`state_events_${localDateKey(noonToday - DAY)}.csv`, `state_events_${localDateKey(noonToday)}.csv`])
  const today = readFileSync(join(dir, names[1]), 'utf8').split('\n')
  t.equal(today[0], 'at,device_id,ip_address,hostname,from,to,reason')
  t.equal(today.length, 4, 'header, two events, final newline')
  t.match(today[1], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d,2,127\.0\.0\.2,h2,up,down,3 failed pings in a row; last error: No response \(timeout\)$/)
  const { rows } = await readAll(dir)
  t.same(rows.map((r) => r.device_id), [1, 2, 3], 'oldest first')
  t.same(rows[1], event(2, noonToday).row)
  t.same((await readAll(dir, noonToday - 1, noonToday + 1)).rows.map((r) => r.device_id), [2], 'window')
  t.same((await readAll(dir, 0, Date.now() + DAY, 3)).rows.map((r) => r.device_id), [3], 'one device')
  t.same(await listCsvFiles(dir), [], 'the result-file listing does not see event files')
  t.match(log.status(), { healthy: true, events_written: 3, pending_events: 0 })
})

t.test('quotes, commas and control characters stay on one line and round-trip', async (t) => {
  const dir = tempDir(t)
  const log = new EventLog({ dir, retentionDays: 0, bufferMax: 100, log: silent })
  const e = event(9, noonToday)
  e.row = { ...e.row, hostname: 'a,"b"\nc', reason: 'x\r\ny, "z"' }
  await log.write([e])
  const text = readFileSync(join(dir, `state_events_${localDateKey(noonToday)}.csv`), 'utf8')
  t.equal(text.trim().split('\n').length, 2)
  const { rows } = await readAll(dir)
  t.equal(rows[0].hostname, 'a,"b" c')
  t.equal(rows[0].reason, 'x  y, "z"')
  t.equal(formatEventRows([]), '')
  t.equal(parseEventRecord(['x', '1', 'a', 'b', 'up', 'down', 'r']), null, 'bad time')
  t.equal(parseEventRecord(['2026-01-01T00:00:00.000+00:00', '1', 'a', 'b', 'up', 'sideways', 'r']), null, 'bad state')
})

t.test('a torn tail left by a crash is cut before the next append; malformed lines are skipped', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, `state_events_${localDateKey(noonToday)}.csv`)
  const first = new EventLog({ dir, retentionDays: 0, bufferMax: 100, log: silent })
  await first.write([event(1, noonToday)])
  appendFileSync(file, '2026-01-01T00:00:00.000+00:00,2,127.0')
  const warnings: string[] = []
  const second = new EventLog({ dir, retentionDays: 0, bufferMax: 100, log: { ...silent, warn: (_o: object, m?: string) => warnings.push(String(m)) } })
  await second.write([event(3, noonToday + 1)])
  t.match(warnings, [/torn last line/])
  const { rows, malformed } = await readAll(dir)
  t.same(rows.map((r) => r.device_id), [1, 3])
  t.equal(malformed, 0)
  appendFileSync(file, 'garbage line\n')
  t.equal((await readAll(dir)).malformed, 1)
})

t.test('an unwritable directory: events wait in memory (bounded) and are written in order later', async (t) => {
  // a file where the directory should be fails for root too
  const dir = join(tempDir(t), 'events')
  writeFileSync(dir, 'not a directory')
  const log = new EventLog({ dir, retentionDays: 0, bufferMax: 2, log: silent })
  await log.write([event(1, noonToday), event(2, noonToday), event(3, noonToday)])
  t.match(log.status(), { healthy: false, pending_events: 2, dropped_events: 1, last_error: /cannot write state event files/ })
  t.same(log.unwritten().map((r) => r.device_id), [2, 3])
  rmSync(dir)
  await log.drain()
  t.same((await readAll(dir)).rows.map((r) => r.device_id), [2, 3])
  t.match(log.status(), { healthy: true, pending_events: 0, events_written: 2 })
})

t.test('retention removes event files of old days', async (t) => {
  const dir = tempDir(t)
  const old = join(dir, `state_events_${localDateKey(noonToday - 40 * DAY)}.csv`)
  writeFileSync(old, 'at,device_id,ip_address,hostname,from,to,reason\n')
  const log = new EventLog({ dir, retentionDays: 30, bufferMax: 100, log: silent })
  await log.write([event(1, noonToday)])
  t.same(readdirSync(dir), [`state_events_${localDateKey(noonToday)}.csv`])
})

t.test('events that could not be written are retried on a timer: no new event is needed', async (t) => {
  const dir = join(tempDir(t), 'events')
  writeFileSync(dir, 'not a directory')
  const log = new EventLog({ dir, retentionDays: 0, bufferMax: 100, log: silent, retryFirstMs: 20, retryMaxMs: 80 })
  await log.write([event(1, noonToday), event(2, noonToday + 1)])
  await log.write([event(3, noonToday + 2)])
  t.match(log.status(), { healthy: false, pending_events: 3, events_written: 0 })
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.match(log.status(), { healthy: false, pending_events: 3 }, 'still failing, still kept')
  rmSync(dir)
  await waitFor(() => log.status().healthy, 2000, 'written by the retry alone')
  t.match(log.status(), { healthy: true, last_error: null, pending_events: 0, dropped_events: 0, events_written: 3 })
  t.same((await readAll(dir)).rows.map((r) => r.device_id), [1, 2, 3], 'in order, each once')
  t.same(log.unwritten(), [])
  await log.close()
})

t.test('event lines are exactly what papaparse unparse wrote for the cleaned fields (the format of the files written before)', async (t) => {
  // the earlier writer: control characters to spaces in the texts, then unparse without forced quotes
  const unparse = (rows: EventRow[]) => rows.length === 0
    ? ''
    : Papa.unparse(rows.map((r) => [r.at, String(r.device_id), cleanCsvText(r.ip_address), cleanCsvText(r.hostname), r.from, r.to, cleanCsvText(r.reason)]), { header: false, newline: '\n', quotes: false }) + '\n'
  // texts built from the characters that matter to quoting and cleaning, and some ordinary ones
  const text = fc.array(fc.constantFrom('a', 'Z', '0', ' ', ',', '"', '\n', '\r', '\t', '\u0000', '\u007f', '\ufeff', '=', ';', 'é', '日'), { maxLength: 12 }).map((cs) => cs.join(''))
  const state = fc.constantFrom('unknown', 'up', 'down', 'flapping', 'unreachable') as fc.Arbitrary<EventRow['from']>
  const row = fc.record({ at: fc.integer({ min: 0, max: 4_000_000_000_000 }).map((ms) => toEventRow({ device_id: 1, ip_address: '', hostname: '', from: 'up', to: 'down', at: ms, reason: '', consecutive_failures: 0, last_error: null, down_since: null }).at), device_id: fc.nat(), ip_address: text, hostname: text, from: state, to: state, reason: text })
  fc.assert(fc.property(fc.array(row, { maxLength: 6 }), (rows) => formatEventRows(rows) === unparse(rows)), { numRuns: 2000 })
  t.pass('2000 random event lists written alike')
})
