import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { localDateKey } from '../lib/local-time.js'

/** Result files; the state event files use the same naming with their own prefix. */
export const RESULTS_PREFIX = 'ping_results'

export interface CsvFileInfo {
  name: string
  path: string
  dateKey: string
  /** 1 for ping_results_YYYYMMDD.csv, N for ..._N.csv */
  index: number
}

/** PREFIX_YYYYMMDD.csv, then PREFIX_YYYYMMDD_2.csv, _3, ... once a file is full */
export function datedFileName (prefix: string, dateKey: string, index: number): string {
  return index <= 1 ? `${prefix}_${dateKey}.csv` : `${prefix}_${dateKey}_${index}.csv`
}

export function csvFileName (dateKey: string, index: number): string {
  return datedFileName(RESULTS_PREFIX, dateKey, index)
}

/** The result files in `dir`, oldest first (by date, then rollover index). */
export async function listCsvFiles (dir: string): Promise<CsvFileInfo[]> {
  return await listDatedFiles(dir, RESULTS_PREFIX)
}

/**
 * The files named by datedFileName(prefix, ...) in `dir` that can hold rows of [fromMs, toMs], oldest
 * first: a file is named by the local date of its rows, and one day of slack either side covers clock
 * and time-zone changes.
 */
export async function listDatedFilesCovering (dir: string, prefix: string, fromMs: number, toMs: number): Promise<CsvFileInfo[]> {
  const fromKey = localDateKey(fromMs - 86_400_000)
  const toKey = localDateKey(toMs + 86_400_000)
  return (await listDatedFiles(dir, prefix)).filter((f) => f.dateKey >= fromKey && f.dateKey <= toKey)
}

/** The files named by datedFileName(prefix, ...) in `dir`, oldest first. */
export async function listDatedFiles (dir: string, prefix: string): Promise<CsvFileInfo[]> {
  const pattern = new RegExp(`^${prefix}_(\\d{8})(?:_(\\d+))?\\.csv$`)
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err: any) {
    if (err.code === 'ENOENT') return []
    throw err
  }
  const files: CsvFileInfo[] = []
  for (const name of names) {
    const m = pattern.exec(name)
    if (m === null) continue
    files.push({ name, path: join(dir, name), dateKey: m[1], index: m[2] === undefined ? 1 : Number(m[2]) })
  }
  return files.sort((a, b) => a.dateKey === b.dateKey ? a.index - b.index : a.dateKey < b.dateKey ? -1 : 1)
}
