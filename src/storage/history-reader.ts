import { Worker } from 'node:worker_threads'
import { RESULTS_PREFIX, listDatedFilesCovering } from './csv-files.js'
import type { LastResults, ResultBatch } from './result-columns.js'

// run the worker from source (.ts) under the test loader, from dist/ (.js) when built
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
const WORKER_FILE = new URL(`../../workers/history-reader${ext}`, import.meta.url)

export interface HistoryReaderData {
  files: string[]
  fromMs: number
  toMs: number
  batchSize: number
  maxInFlight: number
}

export type HistoryReaderMessage =
  | { type: 'batch', batch: ResultBatch }
  | { type: 'end', rows: number, malformed: number, last: LastResults[] }
  | { type: 'error', message: string }

/** the main thread is done with a batch; its columns go back to the worker for reuse */
export interface HistoryReaderAck { type: 'ack', batch: ResultBatch }

/** the buffers a batch's columns live in, to transfer between threads */
export function batchBuffers (b: ResultBatch): ArrayBuffer[] {
  return [b.at.buffer, b.deviceId.buffer, b.rtt.buffer, b.ok.buffer, b.ip.buffer, b.hostname.buffer, b.error.buffer] as ArrayBuffer[]
}

export interface ReadHistoryOptions {
  dir: string
  fromMs: number
  toMs: number
  /** rows per batch (default 65,536) */
  batchSize?: number
}

export interface ReadHistorySummary {
  rows: number
  malformed: number
  /** each device's newest row and newest success in the window */
  last: LastResults[]
}

/**
 * Reads the result rows in [fromMs, toMs] back from the CSV files, oldest file first, parsed in a
 * worker thread: `onBatch` gets them as columns on the calling thread, a batch at a time, at most 3
 * ahead (requests are answered between batches). `onBatch` must not keep the batch: its columns go
 * back to the worker for reuse. `strings` is the string table the batch's ip,
 * hostname and error indexes point into (the batch's own new strings are already in it).
 */
export async function readHistory (opts: ReadHistoryOptions, onBatch: (batch: ResultBatch, strings: string[]) => void): Promise<ReadHistorySummary> {
  const files = (await listDatedFilesCovering(opts.dir, RESULTS_PREFIX, opts.fromMs, opts.toMs)).map((f) => f.path)
  if (files.length === 0) return { rows: 0, malformed: 0, last: [] }
  const data: HistoryReaderData = { files, fromMs: opts.fromMs, toMs: opts.toMs, batchSize: opts.batchSize ?? 65_536, maxInFlight: 3 }
  const strings: string[] = []
  return await new Promise<ReadHistorySummary>((resolve, reject) => {
    const worker = new Worker(WORKER_FILE, { workerData: data })
    let settled = false
    const finish = (err: Error | null, summary?: ReadHistorySummary) => {
      if (settled) return
      settled = true
      worker.terminate().catch(() => {})
      if (err !== null) reject(err)
      else resolve(summary as ReadHistorySummary)
    }
    worker.on('message', (m: HistoryReaderMessage) => {
      if (m.type === 'batch') {
        for (const s of m.batch.strings) strings.push(s)
        try {
          onBatch(m.batch, strings)
        } catch (err: any) {
          finish(err)
          return
        }
        const ack: HistoryReaderAck = { type: 'ack', batch: m.batch }
        worker.postMessage(ack, batchBuffers(m.batch))
      } else if (m.type === 'end') {
        finish(null, { rows: m.rows, malformed: m.malformed, last: m.last })
      } else {
        finish(new Error(m.message))
      }
    })
    worker.on('error', (err) => finish(err))
    worker.on('exit', (code) => finish(new Error(`history reader thread exited (code ${code})`)))
  })
}
