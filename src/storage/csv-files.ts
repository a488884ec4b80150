import { readdir } from 'node:fs/promises'
import { join } from 'node:path'

export const CSV_FILE = /^ping_results_(\d{8})(?:_(\d+))?\.csv$/

export interface CsvFileInfo {
  name: string
  path: string
  dateKey: string
  /** 1 for ping_results_YYYYMMDD.csv, N for ..._N.csv */
  index: number
}

export function csvFileName (dateKey: string, index: number): string {
  return index <= 1 ? `ping_results_${dateKey}.csv` : `ping_results_${dateKey}_${index}.csv`
}

/** The result files in `dir`, oldest first (by date, then rollover index). */
export async function listCsvFiles (dir: string): Promise<CsvFileInfo[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err: any) {
    if (err.code === 'ENOENT') return []
    throw err
  }
  const files: CsvFileInfo[] = []
  for (const name of names) {
    const m = CSV_FILE.exec(name)
    if (m === null) continue
    files.push({ name, path: join(dir, name), dateKey: m[1], index: m[2] === undefined ? 1 : Number(m[2]) })
  }
  return files.sort((a, b) => a.dateKey === b.dateKey ? a.index - b.index : a.dateKey < b.dateKey ? -1 : 1)
}
