import { createReadStream } from 'node:fs'
import Papa from 'papaparse'
import { localDateKey } from '../lib/local-time.js'
import { TimestampParser } from '../history/timestamp.js'
import { listCsvFiles } from './csv-files.js'
import { CSV_COLUMNS, type ResultRow } from './result-row.js'

export interface ScanOptions {
  dir: string
  fromMs: number
  toMs: number
  deviceId?: number
}

/**
 * Streams the result rows in [fromMs, toMs] out of the CSV files, oldest file first. Malformed lines
 * (a torn tail, a hand edit) are skipped, never fatal. Parsed in chunks by papaparse: at start this
 * reads a whole day of results (17 million rows for 1,000 devices).
 */
export async function scanHistory (opts: ScanOptions, onRow: (row: ResultRow, at: number) => void): Promise<{ malformed: number, rows: number }> {
  // a result's file is named by its local date; one day of slack either side covers clock changes
  const fromKey = localDateKey(opts.fromMs - 86_400_000)
  const toKey = localDateKey(opts.toMs + 86_400_000)
  const idText = opts.deviceId === undefined ? null : String(opts.deviceId)
  const ts = new TimestampParser()
  let malformed = 0
  let rows = 0
  const onRecord = (rec: string[]) => {
    if (rec.length !== CSV_COLUMNS.length) {
      if (rec[0] !== CSV_COLUMNS[0]) malformed++
      return
    }
    if (idText !== null && rec[1] !== idText) return
    const at = ts.parse(rec[0])
    const device_id = Number(rec[1])
    const ok = rec[4]
    const rtt = rec[5] === '' ? null : Number(rec[5])
    if (Number.isNaN(at) || !Number.isSafeInteger(device_id) || (ok !== 'true' && ok !== 'false') || (rtt !== null && !Number.isFinite(rtt))) {
      if (rec[0] !== CSV_COLUMNS[0]) malformed++
      return
    }
    if (at < opts.fromMs || at > opts.toMs) return
    rows++
    onRow({ timestamp: rec[0], device_id, ip_address: rec[2], hostname: rec[3], ping_success: ok === 'true', response_time_ms: rtt, error_message: rec[6] }, at)
  }
  for (const f of await listCsvFiles(opts.dir)) {
    if (f.dateKey < fromKey || f.dateKey > toKey) continue
    await new Promise<void>((resolve, reject) => {
      const stream = createReadStream(f.path, 'utf8')
      stream.on('error', (err: NodeJS.ErrnoException) => err.code === 'ENOENT' ? resolve() : reject(err))
      Papa.parse<string[]>(stream as any, {
        skipEmptyLines: true,
        chunk: (res) => { for (const rec of res.data) onRecord(rec) },
        complete: () => resolve(),
        error: (err: Error) => reject(err)
      })
    })
  }
  return { malformed, rows }
}
