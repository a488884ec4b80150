import Papa from 'papaparse'
import type { Static } from 'typebox'
import type { ResultRowSchema } from '../schemas/common.js'

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

/**
 * CSV lines (each ending in \n) for rows; quoting by papaparse. Formula-like text (a hostname starting
 * with =, +, - or @) is written as it is, not escaped: the files are this service's data, read back
 * at start, and an escape would change the values (see README, CSV files).
 */
export function formatCsvRows (rows: ResultRow[]): string {
  if (rows.length === 0) return ''
  const data = rows.map((r) => [
    r.timestamp,
    String(r.device_id),
    clean(r.ip_address),
    clean(r.hostname),
    r.ping_success ? 'true' : 'false',
    r.response_time_ms === null ? '' : r.response_time_ms.toFixed(2),
    clean(r.error_message)
  ])
  return Papa.unparse(data, { header: false, newline: '\n', quotes: false }) + '\n'
}
