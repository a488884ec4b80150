import { setTimeout as sleep } from 'node:timers/promises'
import type { Log } from '../lib/log.js'

/** The outcome of one delivery attempt, as every channel type reports it. */
export interface Attempt {
  ok: boolean
  /** network error, timeout, 408, 429, 5xx (or the SMTP equivalents) */
  retryable: boolean
  /** short, without secrets: it is logged and shown in /api/health */
  error: string
  /** what the receiver asked for (Retry-After, Telegram's parameters.retry_after) */
  retryAfterMs: number | null
  /** what the provider answered (status and a bounded, redacted excerpt), for the test route */
  answer?: string
}

export interface QueueStats {
  sent: number
  failed: number
  retries: number
  dropped: number
  failing: boolean
  failing_since: string | null
  last_error: string | null
  last_sent_at: string | null
}

export interface DeliveryQueueOptions<T> {
  /** one attempt; `signal` aborts it at shutdown */
  attempt: (item: T, signal: AbortSignal) => Promise<Attempt>
  /** most items waiting; beyond this the oldest is dropped (and counted) */
  queueMax: number
  /** retries after the first attempt */
  retries: number
  /** wait before the first retry; doubles for each further one */
  retryDelayMs: number
  /** cap on one wait between attempts (also on a receiver's Retry-After) */
  maxRetryDelayMs: number
  /** least time between the start of two deliveries (a phone number must not be flooded) */
  minIntervalMs?: number
  /** the fields every log line about this queue carries ({ host } or { channel }) */
  logFields: Record<string, unknown>
  /** how log lines name it: "alert webhook", "alert channel" */
  what: string
  log: Log
  now?: () => number
}

/**
 * One receiver's bounded queue and its single delivery loop (the retry logic every channel type
 * shares): `push` only queues, so a receiver that is down or slow holds up nobody else, and items
 * reach it in order. Retryable failures wait with exponential backoff (or the receiver's own wait,
 * capped); others fail at once.
 */
export class DeliveryQueue<T> {
  readonly queue: T[] = []
  readonly stats: QueueStats = { sent: 0, failed: 0, retries: 0, dropped: 0, failing: false, failing_since: null, last_error: null, last_sent_at: null }
  lastErrorAt: number | null = null
  private inFlight = false
  private running: Promise<void> | null = null
  private closing = false
  private lastStartAt = -Infinity
  /** cuts backoff waits short at close */
  private readonly wake = new AbortController()
  /** aborts requests in flight when the close grace is over */
  private readonly stop = new AbortController()
  private readonly now: () => number

  constructor (private readonly opts: DeliveryQueueOptions<T>) {
    this.now = opts.now ?? Date.now
  }

  get length (): number {
    return this.queue.length + (this.inFlight ? 1 : 0)
  }

  /** Queues one item. Never waits, never throws. */
  push (item: T): void {
    if (this.closing) {
      this.stats.dropped++
      return
    }
    this.queue.push(item)
    if (this.queue.length > this.opts.queueMax) {
      this.queue.shift()
      this.stats.dropped++
      // one line for the first drop and then every hundredth: an outage must not flood the log
      if (this.stats.dropped % 100 === 1) this.opts.log.warn({ ...this.opts.logFields, dropped: this.stats.dropped, queue_max: this.opts.queueMax }, 'alert queue full: dropped the oldest alert')
    }
    this.kick()
  }

  /** Delivers one item now, beside the queue (the test route), counted like the others; `retries` 0 = one attempt. */
  async deliverNow (item: T, retries = 0): Promise<Attempt> {
    return await this.deliver(item, retries)
  }

  private kick (): void {
    if (this.running !== null) return
    this.running = this.run().finally(() => {
      this.running = null
      // an item queued while the loop was finishing
      if (this.queue.length > 0 && !this.stop.signal.aborted) this.kick()
    })
  }

  /** Resolves when the queue is empty. */
  async idle (): Promise<void> {
    while (this.running !== null) await this.running
  }

  /**
   * Stops retrying and accepting; what is queued gets one attempt each within `graceMs`, then the
   * attempt in flight is aborted. Returns how many items were left unsent.
   */
  async close (graceMs: number): Promise<number> {
    this.closing = true
    this.wake.abort()
    let timer: NodeJS.Timeout | undefined
    const expired = await Promise.race([
      this.idle().then(() => false),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), graceMs) })
    ])
    clearTimeout(timer)
    if (expired) this.stop.abort()
    await this.idle()
    const left = this.queue.length
    this.stats.dropped += left
    this.queue.length = 0
    return left
  }

  private async run (): Promise<void> {
    while (this.queue.length > 0 && !this.stop.signal.aborted) {
      const item = this.queue.shift() as T
      this.inFlight = true
      try {
        await this.spacing()
        await this.deliver(item)
      } finally {
        this.inFlight = false
      }
    }
  }

  private async spacing (): Promise<void> {
    const gap = (this.opts.minIntervalMs ?? 0) - (this.now() - this.lastStartAt)
    if (gap > 0 && !this.closing) await this.pause(gap)
  }

  private async pause (ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.wake.signal })
    } catch {
      // closing: what is left gets its one attempt now
    }
  }

  private async deliver (item: T, retries = this.opts.retries): Promise<Attempt> {
    const { log, logFields, what } = this.opts
    for (let attempt = 0; ; attempt++) {
      this.lastStartAt = this.now()
      let a: Attempt
      try {
        a = await this.opts.attempt(item, this.stop.signal)
      } catch {
        // an attempt function that throws is a bug; never its message (it may quote a secret)
        a = { ok: false, retryable: false, error: 'could not send (internal error)', retryAfterMs: null }
      }
      if (a.ok) {
        if (this.stats.failing) log.info(logFields, `${what} works again`)
        this.stats.sent++
        this.stats.failing = false
        this.stats.failing_since = null
        this.stats.last_sent_at = new Date(this.now()).toISOString()
        return a
      }
      this.stats.last_error = a.error
      this.lastErrorAt = this.now()
      if (!a.retryable || attempt >= retries || this.closing) {
        this.stats.failed++
        if (!this.stats.failing) this.stats.failing_since = new Date(this.now()).toISOString()
        this.stats.failing = true
        log.warn({ ...logFields, err: a.error, attempts: attempt + 1 }, `${what} failed; this alert is given up`)
        return a
      }
      this.stats.retries++
      const cap = this.opts.maxRetryDelayMs
      const backoff = Math.min(cap, this.opts.retryDelayMs * 2 ** attempt)
      const delay = a.retryAfterMs === null ? backoff : Math.min(cap, Math.max(backoff, a.retryAfterMs))
      log.debug?.({ ...logFields, err: a.error, attempt: attempt + 1, retry_in_ms: delay }, `${what} attempt failed; retrying`)
      await this.pause(delay)
    }
  }
}
