import type { Device } from '../inventory/filter-inventory.js'
import type { Log } from '../lib/log.js'
import type { StateEvent } from '../state/device-state.js'
import { isAlertable } from './alert-message.js'
import type { ChannelSpec } from './channel-config.js'
import { renderDigest, type AlertLanguage, type Digest, type OutMessage } from './channel-message.js'
import { DeliveryQueue, type Attempt, type QueueStats } from './delivery-queue.js'
import type { Notice } from './notice.js'

export interface ChannelDeps {
  language: AlertLanguage
  deviceOf: (id: number) => Device | undefined
  timeoutMs: number
  queueMax: number
  retries: number
  retryDelayMs: number
  userAgent: string
  /** removes every secret of every channel from a text */
  redact: (text: string) => string
  log: Log
  fetch?: typeof fetch
  now?: () => number
  /** when the last message left, shared by the channels that send to one target (see Provider.spacingKey) */
  spacing?: { lastFlushAt: number }
}

export interface ChannelStatus extends Omit<QueueStats, 'retries'> {
  name: string
  type: string
  target: string
  retried: number
  queue_length: number
  /** changes and notices waiting for the batch window (or the minimum spacing) to end */
  pending: number
}

/**
 * One alert channel: its filters, its batch window and minimum spacing, and its own queue. Items that
 * pass the filters wait in `pending` until max(first item + batch_s, last message + min_interval_s)
 * and then go out as one message: a site going down is one message per window, never hundreds, and a
 * WhatsApp number gets at most one message per min_interval_s.
 */
export class Channel {
  readonly queue: DeliveryQueue<OutMessage>
  private pending: Digest = { events: [], notices: [] }
  private firstAt: number | null = null
  private readonly spacing: { lastFlushAt: number }
  private timer: NodeJS.Timeout | null = null
  private readonly now: () => number
  private closed = false

  constructor (readonly spec: ChannelSpec, private readonly deps: ChannelDeps) {
    this.now = deps.now ?? Date.now
    this.spacing = deps.spacing ?? { lastFlushAt: -Infinity }
    const ctx = (signal: AbortSignal) => ({ signal, timeoutMs: deps.timeoutMs, userAgent: deps.userAgent, redact: deps.redact, ...(deps.fetch !== undefined ? { fetch: deps.fetch } : {}) })
    this.queue = new DeliveryQueue<OutMessage>({
      attempt: async (m, signal) => await spec.provider.send(m, spec.settings, ctx(signal)),
      queueMax: deps.queueMax,
      retries: deps.retries,
      retryDelayMs: deps.retryDelayMs,
      maxRetryDelayMs: 60_000,
      // the batching below spaces messages; a retry may come sooner (the last one did not get through)
      logFields: { channel: spec.name, type: spec.type },
      what: 'alert channel',
      log: deps.log,
      ...(deps.now !== undefined ? { now: deps.now } : {})
    })
  }

  private wantsDevice (id: number): boolean {
    const { locations, types } = this.spec
    if (locations === null && types === null) return true
    const d = this.deps.deviceOf(id)
    if (locations !== null && (d?.location.id == null || !locations.has(d.location.id))) return false
    if (types !== null && (d?.type.id == null || !types.has(d.type.id))) return false
    return true
  }

  private accepts (n: Notice): Notice | null {
    if (!this.spec.events.has(n.event)) return null
    const { locations } = this.spec
    if (n.event === 'site_down' || n.event === 'site_up') return locations === null || (n.location.id !== null && locations.has(n.location.id)) ? n : null
    if (n.event === 'maintenance_overdue') {
      const devices = n.devices.filter((d) => this.wantsDevice(d.device_id))
      return devices.length === 0 ? null : { ...n, devices }
    }
    return n
  }

  /** Takes what passes the filters; never waits, never throws. */
  offer (events: StateEvent[], notices: Notice[]): void {
    if (this.closed) return
    const es = events.filter((e) => isAlertable(e) && this.spec.events.has(e.to as any) && this.wantsDevice(e.device_id))
    const ns = notices.map((n) => this.accepts(n)).filter((n): n is Notice => n !== null)
    if (es.length === 0 && ns.length === 0) return
    this.pending.events.push(...es)
    this.pending.notices.push(...ns)
    this.firstAt ??= this.now()
    this.schedule()
  }

  private schedule (): void {
    if (this.timer !== null || this.firstAt === null) return
    const at = Math.max(this.firstAt + this.spec.batchS * 1000, this.spacing.lastFlushAt + this.spec.minIntervalS * 1000)
    const wait = at - this.now()
    if (wait <= 0) {
      this.flush()
      return
    }
    this.timer = setTimeout(() => {
      this.timer = null
      // another channel to the same target may have sent meanwhile: the spacing is checked again
      this.schedule()
    }, wait)
  }

  /** The pending items as one message, into the queue. */
  flush (): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    if (this.firstAt === null) return
    const digest = this.pending
    this.pending = { events: [], notices: [] }
    this.firstAt = null
    this.spacing.lastFlushAt = this.now()
    try {
      const m = renderDigest(digest, { language: this.deps.language, template: this.spec.template, deviceOf: this.deps.deviceOf })
      if (m.lines.length > 0) this.queue.push(m)
    } catch (err: any) {
      this.deps.log.error({ channel: this.spec.name, err: this.deps.redact(String(err?.message)) }, 'could not render an alert')
    }
  }

  /** A test message now, past the filters and the batch window: one attempt, the provider's answer. */
  async test (text: string): Promise<Attempt> {
    const m = renderDigest({ events: [], notices: [{ event: 'test', at: this.now(), text }] }, { language: this.deps.language, template: this.spec.template, deviceOf: this.deps.deviceOf })
    return await this.queue.deliverNow(m)
  }

  status (): ChannelStatus {
    const { retries, ...s } = this.queue.stats
    return { name: this.spec.name, type: this.spec.type, target: this.spec.target, ...s, retried: retries, queue_length: this.queue.length, pending: this.pending.events.length + this.pending.notices.length }
  }

  async idle (): Promise<void> {
    while (this.timer !== null || this.queue.length > 0) {
      if (this.timer !== null) await new Promise((resolve) => setTimeout(resolve, 20))
      await this.queue.idle()
    }
  }

  /** What is pending goes out now; the queue then gets `graceMs`. Returns how many messages were left. */
  async close (graceMs: number): Promise<number> {
    this.flush()
    this.closed = true
    const left = await this.queue.close(graceMs)
    this.spec.provider.close?.(this.spec.settings)
    return left
  }
}
