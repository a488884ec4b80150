import Papa from 'papaparse'
import t from 'tap'
import { cleanCsvText, formatCsvColumns, formatCsvRows, type ResultRow } from '../../src/storage/result-row.js'
import { cycleOfRows } from '../../src/monitor/cycle.js'
import { formatLocalIso } from '../../src/lib/local-time.js'

// the files written before the hand-written formatter came from papaparse's unparse: it is the oracle
const papa = (rows: ResultRow[]) => rows.length === 0
  ? ''
  : Papa.unparse(rows.map((r) => [r.timestamp, String(r.device_id), cleanCsvText(r.ip_address), cleanCsvText(r.hostname), r.ping_success ? 'true' : 'false',
    r.response_time_ms === null ? '' : r.response_time_ms.toFixed(2), cleanCsvText(r.error_message)]), { header: false, newline: '\n', quotes: false }) + '\n'

const TEXTS = ['', 'plain', 'with space', ' lead', 'trail ', ' ', 'a,b', 'say "hi"', '"', '""', ',', 'line\nbreak', 'cr\rlf', 'tab\there',
  '\ufeffbom', 'bom\ufeff', '=SUM(A1)', '-1', '+x', '@me', 'ünïcødé', '日本', 'emoji 🛰', 'x\u0000y', '\u007f', 'a, "b" ,c ', '  ', "it's"]

t.test('rows are written exactly as papaparse wrote them', async (t) => {
  const rows: ResultRow[] = []
  let id = 0
  for (const a of TEXTS) {
    for (const b of TEXTS) {
      id++
      const ok = id % 3 !== 0
      rows.push({ timestamp: '2026-12-02T06:00:00.123+00:00', device_id: id, ip_address: `127.0.0.${id % 250}`, hostname: a + b, ping_success: ok, response_time_ms: ok ? (id % 7 === 0 ? 0 : id / 7) : null, error_message: ok ? '' : b + a })
    }
  }
  rows.push({ timestamp: '2026-12-02T06:00:00.123+00:00', device_id: 1, ip_address: ' 10.0.0.1,', hostname: 'h', ping_success: false, response_time_ms: null, error_message: 'No response (timeout)' })
  t.equal(formatCsvRows(rows), papa(rows), `${rows.length} rows`)
  t.equal(formatCsvRows(rows), papa(rows), 'the same again (from the kept fields)')
  t.equal(formatCsvRows([]), '', 'no rows: nothing')
  t.equal(formatCsvRows(rows.slice(0, 1)), papa(rows.slice(0, 1)), 'one row')
})

t.test('a cycle\'s columns are written as the same bytes as its rows, any range, and a device changed in place gets its new text', async (t) => {
  const rows: Array<{ row: ResultRow, at: number }> = []
  let id = 0
  for (const a of TEXTS) {
    for (const b of TEXTS) {
      id++
      const ok = id % 3 !== 0
      // times across seconds and milliseconds, and a fraction of a ms now and then
      const at = Date.UTC(2026, 11, 2, 6, 0, 0) + id * 37 + (id % 13 === 0 ? 0.5 : 0)
      rows.push({ at, row: { timestamp: formatLocalIso(at), device_id: id, ip_address: b + `127.0.0.${id % 250}`, hostname: a + b, ping_success: ok, response_time_ms: ok ? (id % 7 === 0 ? 0 : id % 11 === 0 ? null : id / 7) : null, error_message: ok ? '' : b + a } })
    }
  }
  const c = cycleOfRows(rows)
  const all = rows.map((r) => r.row)
  t.equal(formatCsvColumns(c, 0, c.n).toString('utf8'), papa(all), `${c.n} results`)
  t.equal(formatCsvColumns(c, 0, c.n).toString('utf8'), formatCsvRows(all), 'the same again (from the kept device fields)')
  t.equal(formatCsvColumns(c, 5, 17).toString('utf8'), papa(all.slice(5, 17)), 'a range')
  t.equal(formatCsvColumns(c, 3, 3).length, 0, 'an empty range: nothing')
  const d = c.devices[4] as { hostname: string, ip_address: string }
  d.hostname = 'renamed, "quoted"'
  d.ip_address = '127.0.0.99'
  const changed = all.map((r, i) => i === 4 ? { ...r, hostname: d.hostname, ip_address: d.ip_address } : r)
  t.equal(formatCsvColumns(c, 0, c.n).toString('utf8'), papa(changed), 'the changed device is written with its new fields')
})
