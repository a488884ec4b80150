import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream'
import { nanos } from '@nats-io/transport-node'
import type { DeviceStateSummary } from '../schemas/latest.js'
import type { ResultRow } from '../storage/result-row.js'

/** One message: the results of one partition in one cycle slot, from its owner. */
export interface ResultMessage {
  /** cycle slot */
  s: number
  /** partition */
  p: number
  /** owner (INSTANCE_ID) */
  o: string
  r: Array<{ row: ResultRow, at: number, st: DeviceStateSummary }>
}

export function resultsStreamName (prefix: string): string {
  return `${prefix}-results`
}
export function resultsSubject (prefix: string, partition: number | '>'): string {
  return `${prefix}.results.${partition}`
}
/** the de-duplication id: a partition's results of one slot are stored once, whoever sends them */
export function resultMsgId (partition: number, slot: number): string {
  return `${partition}:${slot}`
}

/** how long results stay in the stream; the de-duplication window must not exceed it (the server refuses) */
const MAX_AGE_MS = 10 * 60_000
const DUPLICATE_WINDOW_MS = 2 * 60_000

/** Creates the results stream when it is missing (left as it is when it exists). */
export async function ensureResultsStream (jsm: JetStreamManager, prefix: string, replicas: number): Promise<void> {
  const name = resultsStreamName(prefix)
  try {
    await jsm.streams.info(name)
    return
  } catch {}
  await jsm.streams.add({
    name,
    subjects: [resultsSubject(prefix, '>')],
    max_age: nanos(MAX_AGE_MS),
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    // the latest few cycles per partition are all anyone reads back
    max_msgs_per_subject: 5,
    num_replicas: replicas
  })
}

export interface PublishOutcome {
  messages: number
  /** messages the stream had already stored under the same id: the partition was pinged twice in this slot */
  duplicates: number
  failed: number
}

/** Publishes one cycle's results, one message per partition, each acknowledged by the stream. */
export async function publishCycle (js: JetStreamClient, prefix: string, me: string, slot: number, byPartition: Map<number, ResultMessage['r']>): Promise<PublishOutcome> {
  const out: PublishOutcome = { messages: 0, duplicates: 0, failed: 0 }
  await Promise.all([...byPartition].map(async ([p, rows]) => {
    const msg: ResultMessage = { s: slot, p, o: me, r: rows }
    try {
      const ack = await js.publish(resultsSubject(prefix, p), JSON.stringify(msg), { msgID: resultMsgId(p, slot) })
      out.messages++
      if (ack.duplicate) out.duplicates++
    } catch {
      out.failed++
    }
  }))
  return out
}
