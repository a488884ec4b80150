import { createInbox, type NatsConnection, type Subscription } from '@nats-io/transport-node'
import type { TimelineCounts } from '../history/history-store.js'
import type { ResultRow } from '../storage/result-row.js'
import { memberKey } from './coordinator.js'

/*
 * A device's history spans its owners: each instance keeps (and writes to CSV) only the results it
 * pinged, so a history answer in cluster mode asks the other live instances for theirs over core NATS
 * request-reply, on a subject per instance (`<prefix>.history.<member key>`). Answers come in chunks
 * (a day of one device at 5 s is 17,280 rows, several times NATS's default 1 MB message limit), the
 * last one marked; an instance whose last chunk is not in within the timeout is a missing owner.
 */

export type HistoryQuery =
  | { kind: 'rows', device_id: number, from: number, to: number, limit: number }
  | { kind: 'timeline', device_id: number, from: number, to: number, bucket_ms: number }

/** one chunk of an answer: `n` is the number of chunks, given on each so that order does not matter */
interface Chunk { i: number, n: number, rows?: ResultRow[], timeline?: TimelineCounts }

export interface OwnerRows { owner: string, rows: ResultRow[] }

export interface PeerAnswers {
  rows: OwnerRows[]
  timelines: TimelineCounts[]
  /** the peers asked that did not answer in full within the timeout */
  missing: string[]
}

/** rows per chunk: ~250 B each as JSON, far below the 1 MB default max_payload */
const ROWS_PER_CHUNK = 1000

export function historySubject (prefix: string, member: string): string {
  return `${prefix}.history.${memberKey(member)}`
}

/** Answers the other instances' questions about this instance's history. */
export function serveHistory (nc: NatsConnection, prefix: string, me: string, answer: (q: HistoryQuery) => { rows?: ResultRow[], timeline?: TimelineCounts }): Subscription {
  return nc.subscribe(historySubject(prefix, me), {
    callback: (err, msg) => {
      if (err !== null || msg.reply === undefined || msg.reply === '') return
      const reply = msg.reply
      let chunks: Array<Omit<Chunk, 'i' | 'n'>>
      try {
        const a = answer(msg.json<HistoryQuery>())
        if (a.rows !== undefined) {
          chunks = []
          for (let i = 0; i < a.rows.length || i === 0; i += ROWS_PER_CHUNK) chunks.push({ rows: a.rows.slice(i, i + ROWS_PER_CHUNK) })
        } else chunks = [{ timeline: a.timeline }]
      } catch {
        // a malformed question gets no answer: the asker counts this instance as missing
        return
      }
      chunks.forEach((c, i) => nc.publish(reply, JSON.stringify({ ...c, i, n: chunks.length })))
    }
  })
}

/** Asks each peer; resolves when all answered in full or after timeoutMs, whichever comes first. */
export async function askPeers (nc: NatsConnection, prefix: string, peers: string[], q: HistoryQuery, timeoutMs: number): Promise<PeerAnswers> {
  const out: PeerAnswers = { rows: [], timelines: [], missing: [] }
  await Promise.all(peers.map(async (peer) => {
    const got = await askOne(nc, historySubject(prefix, peer), q, timeoutMs)
    if (got === null) {
      out.missing.push(peer)
      return
    }
    const rows: ResultRow[] = []
    for (const c of got) {
      if (c.rows !== undefined) rows.push(...c.rows)
      if (c.timeline !== undefined) out.timelines.push(c.timeline)
    }
    if (q.kind === 'rows') out.rows.push({ owner: peer, rows })
  }))
  out.missing.sort()
  return out
}

async function askOne (nc: NatsConnection, subject: string, q: HistoryQuery, timeoutMs: number): Promise<Chunk[] | null> {
  const inbox = createInbox()
  return await new Promise<Chunk[] | null>((resolve) => {
    const chunks = new Map<number, Chunk>()
    let sub: Subscription | null = null
    const end = (v: Chunk[] | null): void => {
      clearTimeout(timer)
      sub?.unsubscribe()
      resolve(v)
    }
    const timer = setTimeout(() => end(null), timeoutMs)
    try {
      sub = nc.subscribe(inbox, {
        callback: (err, msg) => {
          if (err !== null) return end(null)
          let c: Chunk
          try { c = msg.json<Chunk>() } catch { return end(null) }
          chunks.set(c.i, c)
          if (chunks.size === c.n) end([...chunks.values()].sort((a, b) => a.i - b.i))
        }
      })
      nc.publish(subject, JSON.stringify(q), { reply: inbox })
    } catch {
      // not connected (closed, draining): this peer's answer is missing
      end(null)
    }
  })
}

/** Rows of several instances, newest first, at most `limit`, each with the instance that pinged it. */
export function mergeRowsNewestFirst (lists: OwnerRows[], limit: number): Array<ResultRow & { owner: string }> {
  const all: Array<{ at: number, row: ResultRow, owner: string }> = []
  for (const l of lists) for (const row of l.rows) all.push({ at: Date.parse(row.timestamp), row, owner: l.owner })
  all.sort((a, b) => b.at - a.at)
  const n = Math.min(limit, all.length)
  const out: Array<ResultRow & { owner: string }> = new Array(n)
  for (let i = 0; i < n; i++) out[i] = { ...all[i].row, owner: all[i].owner }
  return out
}
