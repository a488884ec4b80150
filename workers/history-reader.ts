import { parentPort, workerData } from 'node:worker_threads'
import { formatLocalIso } from '../src/lib/local-time.js'
import { feedResultFiles } from '../src/storage/result-files-feed.js'
import { ResultColumnsParser, type ResultBatch } from '../src/storage/result-columns.js'
import { batchBuffers, type HistoryReaderAck, type HistoryReaderData, type HistoryReaderMessage } from '../src/storage/history-reader.js'

/**
 * Worker thread of the read-back at start: reads the result files named in workerData, parses them
 * into column batches and posts them to the main thread, at most `maxInFlight` unacknowledged at a
 * time (the main thread applies them; the batches must not pile up in memory).
 */
const data = workerData as HistoryReaderData
const port = parentPort
if (port === null) throw new Error('history-reader must run in a worker thread')

const queue: ResultBatch[] = []
const parser = new ResultColumnsParser({ fromMs: data.fromMs, toMs: data.toMs, batchSize: data.batchSize, emit: (b) => queue.push(b) })
let inFlight = 0
let wake: (() => void) | null = null
port.on('message', (m: HistoryReaderAck) => {
  if (m.type === 'ack') {
    inFlight--
    parser.recycle(m.batch)
    wake?.()
    wake = null
  }
})

/** resolves once fewer than `most` batches wait for the main thread */
async function inFlightBelow (most: number): Promise<void> {
  for (;;) {
    if (inFlight < most) return
    await new Promise<void>((resolve) => { wake = resolve })
  }
}

async function send (): Promise<void> {
  while (queue.length > 0) {
    await inFlightBelow(data.maxInFlight)
    const b = queue.shift() as ResultBatch
    inFlight++
    const msg: HistoryReaderMessage = { type: 'batch', batch: b }
    port!.postMessage(msg, batchBuffers(b))
  }
}

async function main (): Promise<void> {
  await feedResultFiles(data.files, parser, send)
  await inFlightBelow(1)
  const msg: HistoryReaderMessage = { type: 'end', rows: parser.rows, malformed: parser.malformed, last: [...parser.lastResults(formatLocalIso).values()] }
  port!.postMessage(msg)
}

main().catch((err) => {
  const msg: HistoryReaderMessage = { type: 'error', message: String(err?.message ?? err) }
  port!.postMessage(msg)
})
