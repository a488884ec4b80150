import t from 'tap'
import fc from 'fast-check'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Papa from 'papaparse'
import { ResultColumnsParser, type ResultBatch } from '../../src/storage/result-columns.js'
import { readHistory } from '../../src/storage/history-reader.js'
import { CSV_HEADER, formatCsvRows, type ResultRow } from '../../src/storage/result-row.js'
import { formatLocalIso, localDateKey } from '../../src/lib/local-time.js'
import { tempDir } from '../helper.js'

const T0 = new Date(2026, 10, 25, 12, 0, 0, 7).getTime()

interface Parsed { at: number, device_id: number, ip: string, hostname: string, ok: boolean, rtt: number | null, error: string }

function parseAll (text: string | string[], opts: { fromMs?: number, toMs?: number, batchSize?: number } = {}): { rows: Parsed[], parser: ResultColumnsParser, batches: number } {
  const strings: string[] = []
  const rows: Parsed[] = []
  let batches = 0
  const parser = new ResultColumnsParser({
    fromMs: opts.fromMs ?? -Infinity,
    toMs: opts.toMs ?? Infinity,
    batchSize: opts.batchSize ?? 1000,
    emit: (b: ResultBatch) => {
      batches++
      strings.push(...b.strings)
      for (let i = 0; i < b.n; i++) {
        rows.push({ at: b.at[i], device_id: b.deviceId[i], ip: strings[b.ip[i]], hostname: strings[b.hostname[i]], ok: b.ok[i] === 1, rtt: Number.isNaN(b.rtt[i]) ? null : b.rtt[i], error: strings[b.error[i]] })
      }
    }
  })
  for (const piece of Array.isArray(text) ? text : [text]) parser.feed(piece)
  parser.flush()
  return { rows, parser, batches }
}

const row = (id: number, at: number, extra: Partial<ResultRow> = {}): ResultRow => ({
  timestamp: formatLocalIso(at), device_id: id, ip_address: `127.0.0.${id}`, hostname: `dev-${id}`, ping_success: true, response_time_ms: 0.25 * id, error_message: '', ...extra
})

t.test('the lines the writer writes come back as they were', async (t) => {
  const text = CSV_HEADER + formatCsvRows([
    row(1, T0),
    row(2, T0 + 1, { ping_success: false, response_time_ms: null, error_message: 'No response (timeout)' }),
    row(3, T0 + 2, { hostname: 'core, rack "A"', ip_address: 'fe80::1%eth0' }),
    row(4, T0 + 1003, { hostname: '=cmd|calc', response_time_ms: 1234.5 }),
    row(5, T0 + 2004, { hostname: 'gerät-ü', response_time_ms: 0 })
  ])
  const { rows, parser } = parseAll(text)
  t.equal(parser.malformed, 0, 'the header is not a fault')
  t.same(rows.map((r) => r.device_id), [1, 2, 3, 4, 5])
  t.same(rows[0], { at: T0, device_id: 1, ip: '127.0.0.1', hostname: 'dev-1', ok: true, rtt: 0.25, error: '' })
  t.same(rows[1], { at: T0 + 1, device_id: 2, ip: '127.0.0.2', hostname: 'dev-2', ok: false, rtt: null, error: 'No response (timeout)' })
  t.equal(rows[2].hostname, 'core, rack "A"', 'quoted field with a comma and quotes')
  t.equal(rows[2].ip, 'fe80::1%eth0')
  t.equal(rows[3].hostname, '=cmd|calc', 'formula-like text as written')
  t.equal(rows[3].rtt, 1234.5)
  t.equal(rows[3].at, T0 + 1003)
  t.equal(rows[4].hostname, 'gerät-ü')
  t.equal(rows[4].rtt, 0)
})

t.test('malformed lines are counted and skipped; CRLF and a missing last line end are fine', async (t) => {
  const good = formatCsvRows([row(1, T0)]).trimEnd()
  const lines = [
    good + '\r',
    'garbage,line',
    good.replace(',1,', ',x1,'), // id not a number
    good.replace(',1,', ',-1,'),
    good.replace(',1,', ',,'), // empty id
    good.replace(',true,', ',yes,'),
    good.replace(',0.25,', ',-0.25,'),
    good.replace(',0.25,', ',abc,'),
    good.replace(/^[^,]+/, 'yesterday'),
    good + ',extra',
    formatCsvRows([row(2, T0 + 1, { hostname: 'a,b' })]).trimEnd().replace(/,true,/, ',maybe,'), // quoted, bad bool
    '2026-11-25T12:00:00.006+00:00,2,127.0.0.2,de' // torn tail, no line end
  ]
  const { rows, parser } = parseAll(lines.join('\n'))
  t.equal(rows.length, 1)
  t.equal(parser.malformed, lines.length - 1)
  t.equal(parser.rows, 1)
})

t.test('other timestamp forms go through Date.parse; the window is applied', async (t) => {
  const text = [
    '2026-11-25T12:00:00Z,1,127.0.0.1,a,true,0.10,',
    '2026-11-25T12:00:01.5+01:00,2,127.0.0.2,b,true,0.10,',
    '2026-11-25T12:00:02.000+00:00,3,127.0.0.3,c,true,0.10,',
    '2026-11-25T12:00:03.999+00:00,4,127.0.0.4,d,true,0.10,'
  ].join('\n') + '\n'
  const all = parseAll(text).rows
  t.same(all.map((r) => r.at), [Date.parse('2026-11-25T12:00:00Z'), Date.parse('2026-11-25T12:00:01.5+01:00'), Date.parse('2026-11-25T12:00:02Z'), Date.parse('2026-11-25T12:00:03.999Z')])
  const some = parseAll(text, { fromMs: Date.parse('2026-11-25T12:00:02Z'), toMs: Date.parse('2026-11-25T12:00:03.999Z') }).rows
  t.same(some.map((r) => r.device_id), [3, 4], 'both ends of the window are inside')
})

t.test('batches: full ones as they fill, the rest on flush; strings sent once each', async (t) => {
  const rows: ResultRow[] = []
  for (let k = 0; k < 25; k++) for (let id = 1; id <= 4; id++) rows.push(row(id, T0 + k * 5000 + id, { hostname: k < 10 ? `dev-${id}` : `renamed-${id}` }))
  const batches: ResultBatch[] = []
  const parser = new ResultColumnsParser({ fromMs: -Infinity, toMs: Infinity, batchSize: 30, emit: (b) => batches.push(b) })
  parser.feed(formatCsvRows(rows))
  parser.flush()
  t.same(batches.map((b) => b.n), [30, 30, 30, 10])
  t.equal(batches[3].at.length, 10, 'the last batch is cut to its rows')
  const strings = batches.flatMap((b) => b.strings)
  t.equal(new Set(strings).size, strings.length, 'no string is sent twice')
  t.same([...strings].sort(), ['', '127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', 'dev-1', 'dev-2', 'dev-3', 'dev-4', 'renamed-1', 'renamed-2', 'renamed-3', 'renamed-4'])
  const last = parser.lastResults(formatLocalIso)
  t.same(last.get(2)?.last, row(2, T0 + 24 * 5000 + 2, { hostname: 'renamed-2' }))
  t.equal(last.get(2)?.lastOk?.at, T0 + 24 * 5000 + 2)
})

t.test('newest row and newest success per device', async (t) => {
  const text = formatCsvRows([
    row(1, T0),
    row(1, T0 + 5000, { ping_success: false, response_time_ms: null, error_message: 'No response (timeout)' }),
    row(2, T0 + 1, { ping_success: false, response_time_ms: null, error_message: 'Destination host unreachable' })
  ])
  const { parser } = parseAll(text)
  const last = parser.lastResults(formatLocalIso)
  t.equal(last.get(1)?.last.ping_success, false)
  t.equal(last.get(1)?.last.error_message, 'No response (timeout)')
  t.equal(last.get(1)?.lastOk?.at, T0)
  t.equal(last.get(1)?.lastOk?.row.response_time_ms, 0.25)
  t.equal(last.get(2)?.lastOk, null)
})

// any text a person can put in the inventory, any split of the file into pieces at line ends
t.test('property: whatever the writer writes, the parser reads exactly as papaparse does', async (t) => {
  const text = fc.string({ unit: fc.constantFrom('a', 'Z', '0', ',', '"', ' ', "'", '=', '+', '-', '@', 'ü', '€', '😀', '\t', ';', '\\'), maxLength: 12 })
  const arbRow = fc.record({
    id: fc.integer({ min: 0, max: 2 ** 40 }),
    dt: fc.integer({ min: 0, max: 10_000 }),
    ip: text,
    hostname: text,
    ok: fc.boolean(),
    rtt: fc.option(fc.integer({ min: 0, max: 10_000_000 }).map((x) => x / 100)),
    error: text
  })
  let cases = 0
  fc.assert(fc.property(fc.array(arbRow, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 9 }), (spec, pieces) => {
    cases++
    let at = T0
    const rows = spec.map((s) => {
      at += s.dt
      return row(s.id, at, { ip_address: s.ip, hostname: s.hostname, ping_success: s.ok, response_time_ms: s.ok ? s.rtt : null, error_message: s.ok ? '' : s.error })
    })
    const csv = CSV_HEADER + formatCsvRows(rows)
    const expected = Papa.parse<string[]>(csv, { skipEmptyLines: true }).data.slice(1).map((r) => ({
      at: Date.parse(r[0]), device_id: Number(r[1]), ip: r[2], hostname: r[3], ok: r[4] === 'true', rtt: r[5] === '' ? null : Number(r[5]), error: r[6]
    }))
    // cut into pieces at line ends, as the reader does at its buffer ends
    const lines = csv.split(/(?<=\n)/)
    const size = Math.ceil(lines.length / pieces)
    const parts: string[] = []
    for (let i = 0; i < lines.length; i += size) parts.push(lines.slice(i, i + size).join(''))
    const got = parseAll(parts, { batchSize: 7 })
    t.equal(got.parser.malformed, 0)
    t.same(got.rows, expected)
  }), { numRuns: 300, seed: 20261125 })
  t.equal(cases, 300)
})

t.test('readHistory: files in order, a day of slack either side, a torn tail skipped', async (t) => {
  const dir = tempDir(t)
  const day1 = new Date(2026, 10, 24, 23, 59, 58).getTime()
  const day2 = new Date(2026, 10, 25, 0, 0, 1).getTime()
  writeFileSync(join(dir, `ping_results_${localDateKey(day1)}.csv`), CSV_HEADER + formatCsvRows([row(1, day1), row(2, day1 + 1)]))
  writeFileSync(join(dir, `ping_results_${localDateKey(day2)}.csv`), CSV_HEADER + formatCsvRows([row(1, day2)]))
  writeFileSync(join(dir, `ping_results_${localDateKey(day2)}_2.csv`), CSV_HEADER + formatCsvRows([row(2, day2 + 1)]) + '2026-11-25T00:00:02.0')
  writeFileSync(join(dir, 'ping_results_20200101.csv'), CSV_HEADER + formatCsvRows([row(9, new Date(2020, 0, 1).getTime())]))
  const seen: Array<[number, number]> = []
  const r = await readHistory({ dir, fromMs: day1 - 10_000, toMs: day2 + 10_000, batchSize: 2 }, (b) => {
    for (let i = 0; i < b.n; i++) seen.push([b.deviceId[i], b.at[i]])
  })
  t.same(seen, [[1, day1], [2, day1 + 1], [1, day2], [2, day2 + 1]])
  t.equal(r.rows, 4)
  t.equal(r.malformed, 1, 'the torn tail')
  t.same(r.last.map((l) => [l.last.device_id, l.at]).sort(), [[1, day2], [2, day2 + 1]])
  t.same(await readHistory({ dir: join(dir, 'missing'), fromMs: 0, toMs: Date.now() }, () => t.fail('no rows')), { rows: 0, malformed: 0, last: [] })
})
