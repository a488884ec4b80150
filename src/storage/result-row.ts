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
