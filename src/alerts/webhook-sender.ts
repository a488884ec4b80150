import { setTimeout as sleep } from 'node:timers/promises'
import type { Log } from '../lib/log.js'
import type { AlertsHealth, ReceiverStatus } from '../schemas/health.js'

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
/** The alert figures of /api/health but the two the alerts plugin adds. */
export type SenderStatus = Omit<AlertsHealth, 'enabled' | 'format'>

interface Attempt { ok: boolean, retryable: boolean, error: string, retryAfterMs: number | null }

class Receiver {
  readonly queue: string[] = []
  inFlight = false
  running: Promise<void> | null = null
  readonly stats: ReceiverStatus
  lastErrorAt: number | null = null

  constructor (readonly url: URL) {
    this.stats = { host: url.host, sent: 0, failed: 0, retries: 0, dropped: 0, queue_length: 0, failing: false, failing_since: null, last_error: null, last_sent_at: null }
  }
}

/**
 * Delivers JSON messages to webhook receivers off the caller's path: `send` only queues and returns.
 * Each receiver has its own bounded queue and one delivery loop, so messages reach it in order and a
 * receiver that is down or slow holds up nobody else. Failed attempts (network error, timeout, HTTP
 * 408/429/5xx) are retried with exponential backoff up to a cap; other answers fail at once.
 */
export class WebhookSender {
  private readonly receivers: Receiver[]
  private readonly fetch: typeof fetch
  private readonly now: () => number
  private closing = false
  /** cuts backoff waits short at close */
  private readonly wake = new AbortController()
  /** aborts requests in flight when the close grace is over */
  private readonly stop = new AbortController()

  constructor (private readonly opts: WebhookSenderOptions) {
    this.receivers = opts.urls.map((u) => new Receiver(u))
    this.fetch = opts.fetch ?? globalThis.fetch
    this.now = opts.now ?? Date.now
  }

  get enabled (): boolean {
    return this.receivers.length > 0
  }

  /** Queues one message for every receiver. Never waits, never throws. */
  send (body: Record<string, unknown>): void {
    if (this.receivers.length === 0) return
    const text = JSON.stringify(body)
    for (const r of this.receivers) {
      if (this.closing) {
        r.stats.dropped++
        continue
      }
      r.queue.push(text)
      if (r.queue.length > this.opts.queueMax) {
        r.queue.shift()
        r.stats.dropped++
        // one line for the first drop and then every hundredth: an outage must not flood the log
        if (r.stats.dropped % 100 === 1) this.opts.log.warn({ host: r.stats.host, dropped: r.stats.dropped, queue_max: this.opts.queueMax }, 'alert queue full: dropped the oldest alert')
      }
      this.kick(r)
    }
  }

  private kick (r: Receiver): void {
    if (r.running !== null) return
    r.running = this.run(r).finally(() => {
      r.running = null
      // a message queued while the loop was finishing
      if (r.queue.length > 0 && !this.stop.signal.aborted) this.kick(r)
    })
  }

  status (): SenderStatus {
    const receivers = this.receivers.map((r) => ({ ...r.stats, queue_length: r.queue.length + (r.inFlight ? 1 : 0) }))
    let last: Receiver | null = null
    for (const r of this.receivers) if (r.lastErrorAt !== null && (last === null || r.lastErrorAt > (last.lastErrorAt as number))) last = r
    const sum = (k: 'sent' | 'failed' | 'retries' | 'dropped' | 'queue_length') => receivers.reduce((n, r) => n + r[k], 0)
    return {
      sent: sum('sent'),
      failed: sum('failed'),
      retries: sum('retries'),
      dropped: sum('dropped'),
      queue_length: sum('queue_length'),
      last_error: last === null ? null : `${last.stats.host}: ${String(last.stats.last_error)}`,
      last_error_at: last?.lastErrorAt == null ? null : new Date(last.lastErrorAt).toISOString(),
      receivers
    }
  }

  /** Resolves when every queue is empty (for tests and shutdown). */
  async idle (): Promise<void> {
    while (this.receivers.some((r) => r.running !== null)) await Promise.all(this.receivers.map((r) => r.running))
  }

  /**
   * Stops retrying and accepting; what is queued gets one attempt each within `graceMs`, then requests
   * in flight are aborted. Returns how many messages were left unsent.
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
    let left = 0
    for (const r of this.receivers) {
      left += r.queue.length
      r.stats.dropped += r.queue.length
      r.queue.length = 0
    }
    return left
  }

  private async run (r: Receiver): Promise<void> {
    while (r.queue.length > 0 && !this.stop.signal.aborted) {
      const body = r.queue.shift() as string
      r.inFlight = true
      try {
        await this.deliver(r, body)
      } finally {
        r.inFlight = false
      }
    }
  }

  private async deliver (r: Receiver, body: string): Promise<void> {
    const cap = this.opts.maxRetryDelayMs ?? 60_000
    for (let attempt = 0; ; attempt++) {
      const a = await this.post(r.url, body)
      if (a.ok) {
        if (r.stats.failing) this.opts.log.info({ host: r.stats.host }, 'alert webhook works again')
        r.stats.sent++
        r.stats.failing = false
        r.stats.failing_since = null
        r.stats.last_sent_at = new Date(this.now()).toISOString()
        return
      }
      r.stats.last_error = a.error
      r.lastErrorAt = this.now()
      if (!a.retryable || attempt >= this.opts.retries || this.closing) {
        r.stats.failed++
        if (!r.stats.failing) r.stats.failing_since = new Date(this.now()).toISOString()
        r.stats.failing = true
        this.opts.log.warn({ host: r.stats.host, err: a.error, attempts: attempt + 1 }, 'alert webhook failed; this alert is given up')
        return
      }
      r.stats.retries++
      const backoff = Math.min(cap, this.opts.retryDelayMs * 2 ** attempt)
      const delay = a.retryAfterMs === null ? backoff : Math.min(cap, Math.max(backoff, a.retryAfterMs))
      this.opts.log.debug?.({ host: r.stats.host, err: a.error, attempt: attempt + 1, retry_in_ms: delay }, 'alert webhook attempt failed; retrying')
      try {
        await sleep(delay, undefined, { signal: this.wake.signal })
      } catch {
        // closing: the next attempt (if any) is decided above
      }
    }
  }

  private async post (url: URL, body: string): Promise<Attempt> {
    // not AbortSignal.any([AbortSignal.timeout(ms), ...]): on Node 20 the timeout signal inside it can
    // be garbage collected before it fires (nodejs/node#57736), and a receiver that never answers then
    // held its queue forever (seen in the tests). A plain timer is held until it is cleared.
    const ac = new AbortController()
    const timer = setTimeout(() => ac.abort(new DOMException(`no answer within ${this.opts.timeoutMs} ms`, 'TimeoutError')), this.opts.timeoutMs)
    const onStop = () => ac.abort(this.stop.signal.reason)
    if (this.stop.signal.aborted) onStop()
    else this.stop.signal.addEventListener('abort', onStop, { once: true })
    const signal = ac.signal
    try {
      const res = await this.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': this.opts.userAgent ?? 'multi-ping-monitor' },
        body,
        signal,
        // a POST that is redirected turns into a GET: a webhook that moved is a setting to fix
        redirect: 'manual'
      })
      await res.body?.cancel().catch(() => {})
      if (res.status >= 200 && res.status < 300) return { ok: true, retryable: false, error: '', retryAfterMs: null }
      const retryable = res.status === 408 || res.status === 429 || res.status >= 500
      return { ok: false, retryable, error: `HTTP ${res.status}`, retryAfterMs: retryAfter(res.headers.get('retry-after'), this.now()) }
    } catch (err: any) {
      if (err?.name === 'TimeoutError') return { ok: false, retryable: true, error: `no answer within ${this.opts.timeoutMs} ms`, retryAfterMs: null }
      if (this.stop.signal.aborted) return { ok: false, retryable: false, error: 'aborted at shutdown', retryAfterMs: null }
      // never err.message alone: some network errors quote the URL, and the URL may hold a token
      const code = err?.cause?.code ?? err?.code
      return { ok: false, retryable: true, error: typeof code === 'string' ? `connection failed (${code})` : 'connection failed', retryAfterMs: null }
    } finally {
      clearTimeout(timer)
      this.stop.signal.removeEventListener('abort', onStop)
    }
  }
}

/** Retry-After in seconds or as an HTTP date, in ms from now; null if absent or unreadable. */
export function retryAfter (value: string | null, now: number): number | null {
  if (value === null || value.trim() === '') return null
  const v = value.trim()
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000)
  const at = Date.parse(v)
  return Number.isNaN(at) ? null : Math.max(0, at - now)
}
