import type { Config } from '../config/env-schema.js'
import { channelSecretValues, redactSecrets } from '../config/secrets.js'
import type { Device } from '../inventory/filter-inventory.js'
import type { Log } from '../lib/log.js'
import type { ChannelHealth } from '../schemas/health.js'
import type { StateEvent } from '../state/device-state.js'
import { buildNoticePayload, buildPayload, planMessages, type AlertFormat } from './alert-message.js'
import { Channel } from './channel.js'
import type { ChannelSpec } from './channel-config.js'
import type { AlertLanguage } from './channel-message.js'
import type { Attempt } from './delivery-queue.js'
import type { Notice } from './notice.js'
import { receiverStatus, senderStatus, webhookReceiver, type Receiver, type SenderStatus } from './webhook-sender.js'

export interface AlertsStatus extends SenderStatus {
  enabled: boolean
  format: AlertFormat
  /** every channel: ALERT_WEBHOOK_URLS' receivers (webhook-1, ...) and ALERT_CHANNELS_FILE's */
  channels: ChannelHealth[]
}

/** What POST /api/alerts/test answers. */
export interface ChannelTestResult {
  channel: string
  type: string
  ok: boolean
  error: string | null
  /** the provider's answer (status and an excerpt), without secrets */
  answer: string | null
}

export interface Alerts {
  /** One cycle's state changes: queued for the channels, never waited for. Never throws. */
  notify: (events: StateEvent[]) => void
  /** Site changes, overdue maintenance, reports, tests: queued like state changes. Never throws. */
  send: (notices: Notice[]) => void
  status: () => AlertsStatus
  /** the channel names, for the test route */
  channelNames: () => string[]
  /** Sends a test message to one channel now (one attempt); null for an unknown name. */
  test: (channel: string) => Promise<ChannelTestResult | null>
  /** Resolves when every queued alert was delivered or given up (for tests). */
  idle: () => Promise<void>
  /** Gives queued alerts at most `graceMs` to go out; logs what is left. */
  close: (graceMs: number) => Promise<void>
}

export interface AlertsOptions {
  config: Config
  /** ALERT_WEBHOOK_URLS, checked and parsed with the other settings */
  urls: URL[]
  /** ALERT_CHANNELS_FILE, checked and parsed with the other settings */
  channels?: ChannelSpec[]
  /** the inventory's facts about a device (location, type, rack) for templates and filters */
  deviceOf?: (id: number) => Device | undefined
  userAgent: string
  log: Log
  fetch?: typeof fetch
}

/** A lookup by id over the inventory's current list, rebuilt only when the list changes. */
export function deviceLookup (devices: () => readonly Device[]): (id: number) => Device | undefined {
  let list: readonly Device[] | null = null
  let byId = new Map<number, Device>()
  return (id) => {
    const now = devices()
    if (now !== list) {
      list = now
      byId = new Map(now.map((d) => [d.device_id, d]))
    }
    return byId.get(id)
  }
}

/**
 * State changes and notices to every channel: the webhooks of ALERT_WEBHOOK_URLS exactly as before
 * (ALERT_WEBHOOK_FORMAT, ALERT_BATCH_MIN), and the channels of ALERT_CHANNELS_FILE, each with its own
 * filters, batch window, spacing and queue.
 */
export function createAlerts ({ config: c, urls, channels: specs = [], deviceOf = () => undefined, userAgent, log, fetch }: AlertsOptions): Alerts {
  const senderOpts = {
    timeoutMs: c.ALERT_TIMEOUT * 1000,
    queueMax: c.ALERT_QUEUE_MAX,
    retries: c.ALERT_RETRIES,
    retryDelayMs: c.ALERT_RETRY_DELAY * 1000,
    maxRetryDelayMs: 60_000,
    userAgent,
    log,
    ...(fetch !== undefined ? { fetch } : {})
  }
  const receivers: Receiver[] = urls.map((u) => webhookReceiver(u, senderOpts))
  const secrets = channelSecretValues(specs)
  const redact = (text: string) => redactSecrets(text, secrets)
  const language = (c.ALERT_LANGUAGE ?? 'id') as AlertLanguage
  const spacings = new Map<string, { lastFlushAt: number }>()
  const spacingOf = (spec: ChannelSpec) => {
    const key = spec.provider.spacingKey?.(spec.settings)
    if (key === undefined) return { lastFlushAt: -Infinity }
    const s = spacings.get(key) ?? { lastFlushAt: -Infinity }
    spacings.set(key, s)
    return s
  }
  const channels = specs.map((spec) => new Channel(spec, { language, deviceOf, redact, spacing: spacingOf(spec), ...senderOpts }))
  if (urls.length > 0) log.info({ receivers: urls.map((u) => u.host), format: c.ALERT_WEBHOOK_FORMAT }, 'state change alerts go to webhooks')
  if (channels.length > 0) log.info({ channels: specs.map((s) => `${s.name} (${s.type}, ${s.target})`), language }, 'alerts go to the channels of ALERT_CHANNELS_FILE')
  const queueWebhooks = (body: Record<string, unknown>) => {
    const text = JSON.stringify(body)
    for (const r of receivers) r.queue.push(text)
  }
  const guarded = (f: () => void) => {
    try {
      f()
    } catch (err: any) {
      log.error({ err: redact(String(err?.message)) }, 'could not queue alerts')
    }
  }
  const legacyName = (i: number) => `webhook-${i + 1}`
  const fromAttempt = (channel: string, type: string, a: Attempt): ChannelTestResult =>
    ({ channel, type, ok: a.ok, error: a.ok ? null : a.error, answer: a.answer === undefined ? null : redact(a.answer) })

  return {
    notify: (events) => {
      if (receivers.length > 0) guarded(() => { for (const m of planMessages(events, c.ALERT_BATCH_MIN)) queueWebhooks(buildPayload(m, c.ALERT_WEBHOOK_FORMAT)) })
      for (const ch of channels) guarded(() => ch.offer(events, []))
    },
    send: (notices) => {
      if (receivers.length > 0) guarded(() => { for (const n of notices) queueWebhooks(buildNoticePayload(n, c.ALERT_WEBHOOK_FORMAT)) })
      for (const ch of channels) guarded(() => ch.offer([], notices))
    },
    status: () => ({
      enabled: receivers.length > 0 || channels.length > 0,
      format: c.ALERT_WEBHOOK_FORMAT,
      ...senderStatus(receivers),
      channels: [
        ...receivers.map((r, i) => {
          const { retries, host, ...s } = receiverStatus(r)
          return { name: legacyName(i), type: 'webhook', target: host, ...s, retried: retries, pending: 0 }
        }),
        ...channels.map((ch) => ch.status())
      ]
    }),
    channelNames: () => [...receivers.map((_r, i) => legacyName(i)), ...channels.map((ch) => ch.spec.name)],
    test: async (name) => {
      const text = language === 'id' ? 'Pesan uji dari multi-ping-monitor' : 'Test message from multi-ping-monitor'
      const i = receivers.findIndex((_r, i) => legacyName(i) === name)
      if (i >= 0) return fromAttempt(name, 'webhook', await receivers[i].queue.deliverNow(JSON.stringify(buildNoticePayload({ event: 'test', at: Date.now(), text }, c.ALERT_WEBHOOK_FORMAT))))
      const ch = channels.find((x) => x.spec.name === name)
      if (ch === undefined) return null
      return fromAttempt(name, ch.spec.type, await ch.test(text))
    },
    idle: async () => {
      await Promise.all([...receivers.map((r) => r.queue.idle()), ...channels.map((ch) => ch.idle())])
    },
    close: async (graceMs) => {
      const left = await Promise.all([...receivers.map((r) => r.queue.close(graceMs)), ...channels.map((ch) => ch.close(graceMs))])
      const total = left.reduce((a, b) => a + b, 0)
      if (total > 0) log.warn({ alerts: total }, 'alerts still queued at shutdown were not sent')
    }
  }
}
