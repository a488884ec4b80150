import { createReadStream } from 'node:fs'
import Papa from 'papaparse'
import { localDateKey } from '../lib/local-time.js'
import { listCsvFiles } from './csv-files.js'
import { CSV_COLUMNS, parseCsvRecord, type ResultRow } from './result-row.js'

export interface ScanOptions {
  dir: string
  fromMs: number
  toMs: number
  deviceId?: number
}

/**
 * Streams the result rows in [fromMs, toMs] out of the CSV files, oldest file first. Malformed lines
 * (a torn tail, a hand edit) are skipped, never fatal.
 */
export async function scanHistory (opts: ScanOptions, onRow: (row: ResultRow, at: number) => void): Promise<{ malformed: number }> {
  // a result's file is named by its local date; one day of slack either side covers clock changes
  const fromKey = localDateKey(opts.fromMs - 86_400_000)
  const toKey = localDateKey(opts.toMs + 86_400_000)
  const idText = opts.deviceId === undefined ? null : String(opts.deviceId)
  let malformed = 0
  for (const f of await listCsvFiles(opts.dir)) {
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
            if (rec[0] === CSV_COLUMNS[0]) return
          }
          if (idText !== null && rec[1] !== idText) return
          const row = parseCsvRecord(rec)
          if (row === null) {
            malformed++
            return
          }
          const at = Date.parse(row.timestamp)
          if (at >= opts.fromMs && at <= opts.toMs) onRow(row, at)
        },
        complete: () => resolve(),
        error: (err: Error) => reject(err)
      })
    })
  }
  return { malformed }
}
