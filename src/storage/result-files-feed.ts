import { closeSync, openSync, readSync } from 'node:fs'
import type { ResultColumnsParser } from './result-columns.js'

const CHUNK = 1024 * 1024

/**
 * Feeds the result files, oldest first, to `parser` in 1 MB reads cut at line ends; `between` runs
 * after each read (a worker thread sends or folds what the parser emitted, and waits for the main
 * thread there). A file removed by retention meanwhile is skipped. Used by the read-back at start
 * (workers/history-reader.ts) and the rebuild of the availability record (workers/availability-rebuild.ts).
 */
export async function feedResultFiles (files: string[], parser: ResultColumnsParser, between: () => Promise<void>): Promise<void> {
  const buf = Buffer.allocUnsafe(CHUNK)
  for (const path of files) {
    let fd: number
    try {
      fd = openSync(path, 'r')
    } catch (err: any) {
      if (err.code === 'ENOENT') continue
      throw err
    }
    try {
      let have = 0
      for (;;) {
        const got = readSync(fd, buf, have, CHUNK - have, null)
        const end = have + got
        if (got === 0) {
          // the file's last line without a line end (a torn tail, or a clean end)
          if (end > 0) parser.feedBytes(buf, 0, end)
          break
        }
        const nl = buf.lastIndexOf(10, end - 1)
        if (nl === -1) {
          if (end === CHUNK) { parser.feedBytes(buf, 0, end); have = 0 } else have = end
          continue
        }
        parser.feedBytes(buf, 0, nl + 1)
        have = end - nl - 1
        buf.copy(buf, 0, nl + 1, end)
        await between()
      }
    } finally {
      closeSync(fd)
    }
    await between()
  }
  parser.flush()
  await between()
}
