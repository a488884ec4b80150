import Papa from 'papaparse'
import t from 'tap'
import { cleanCsvText, formatCsvRows, type ResultRow } from '../../src/storage/result-row.js'

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
