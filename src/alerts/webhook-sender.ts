import type { Log } from '../lib/log.js'
import type { AlertsHealth, ReceiverStatus } from '../schemas/health.js'
import { DeliveryQueue } from './delivery-queue.js'
import { httpAttempt } from './http-attempt.js'

export { retryAfter } from './http-attempt.js'

export interface WebhookSenderOptions {
  urls: URL[]
  /** bound on one POST, headers and all */
  timeoutMs: number
  /** most messages waiting per receiver; beyond this the oldest is dropped (and counted) */
  queueMax: number
  /** retries after the first attempt */
  retries: number
  /** wait before the first retry; doubles for each further one */
  retryDelayMs: number
  /** cap on one wait between attempts (also on a receiver's Retry-After) */
  maxRetryDelayMs?: number
  userAgent?: string
  log: Log
  fetch?: typeof fetch
  now?: () => number
}

export type { ReceiverStatus } from '../schemas/health.js'
/** The alert figures of /api/health but those the alerts plugin adds. */
export type SenderStatus = Omit<AlertsHealth, 'enabled' | 'format' | 'channels'>

/** A webhook receiver: its URL and its queue (the retry logic is DeliveryQueue's, shared by every channel type). */
export interface Receiver {
  url: URL
  host: string
  queue: DeliveryQueue<string>
}

export function webhookReceiver (url: URL, o: Omit<WebhookSenderOptions, 'urls'>): Receiver {
  const queue = new DeliveryQueue<string>({
    attempt: async (body, signal) => await httpAttempt({ url, headers: { 'content-type': 'application/json' }, body }, {
      timeoutMs: o.timeoutMs,
      userAgent: o.userAgent ?? 'multi-ping-monitor',
      signal,
      ...(o.fetch !== undefined ? { fetch: o.fetch } : {}),
      ...(o.now !== undefined ? { now: o.now } : {})
    }),
    queueMax: o.queueMax,
    retries: o.retries,
    retryDelayMs: o.retryDelayMs,
    maxRetryDelayMs: o.maxRetryDelayMs ?? 60_000,
    logFields: { host: url.host },
    what: 'alert webhook',
    log: o.log,
    ...(o.now !== undefined ? { now: o.now } : {})
  })
  return { url, host: url.host, queue }
}

export function receiverStatus (r: Receiver): ReceiverStatus {
  return { host: r.host, ...r.queue.stats, queue_length: r.queue.length }
}

/** The totals of /api/health over the webhook receivers, with each receiver's figures. */
export function senderStatus (list: Receiver[]): SenderStatus {
  const receivers = list.map(receiverStatus)
  let last: Receiver | null = null
  for (const r of list) if (r.queue.lastErrorAt !== null && (last === null || r.queue.lastErrorAt > (last.queue.lastErrorAt as number))) last = r
  const sum = (k: 'sent' | 'failed' | 'retries' | 'dropped' | 'queue_length') => receivers.reduce((n, r) => n + r[k], 0)
  return {
    sent: sum('sent'),
    failed: sum('failed'),
    retries: sum('retries'),
    dropped: sum('dropped'),
    queue_length: sum('queue_length'),
    last_error: last === null ? null : `${last.host}: ${String(last.queue.stats.last_error)}`,
    last_error_at: last?.queue.lastErrorAt == null ? null : new Date(last.queue.lastErrorAt).toISOString(),
    receivers
  }
}

/**
 * Delivers JSON messages to webhook receivers off the caller's path: `send` only queues and returns.
 * Each receiver has its own bounded queue and one delivery loop (DeliveryQueue), so messages reach
 * it in order and a receiver that is down or slow holds up nobody else.
 */
export class WebhookSender {
  private readonly receivers: Receiver[]

  constructor (opts: WebhookSenderOptions) {
    this.receivers = opts.urls.map((u) => webhookReceiver(u, opts))
  }

  get enabled (): boolean {
    return this.receivers.length > 0
  }

  /** Queues one message for every receiver. Never waits, never throws. */
  send (body: Record<string, unknown>): void {
    if (this.receivers.length === 0) return
    const text = JSON.stringify(body)
    for (const r of this.receivers) r.queue.push(text)
  }

  status (): SenderStatus {
    return senderStatus(this.receivers)
  }

  /** Resolves when every queue is empty (for tests and shutdown). */
  async idle (): Promise<void> {
    await Promise.all(this.receivers.map((r) => r.queue.idle()))
  }

  /** Stops retrying and accepting; see DeliveryQueue.close. Returns how many messages were left unsent. */
  async close (graceMs: number): Promise<number> {
    const left = await Promise.all(this.receivers.map((r) => r.queue.close(graceMs)))
    return left.reduce((a, b) => a + b, 0)
  }
}
