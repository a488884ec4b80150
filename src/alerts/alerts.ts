import type { Config } from '../config/env-schema.js'
import type { Log } from '../lib/log.js'
import type { StateEvent } from '../state/device-state.js'
import { buildNoticePayload, buildPayload, planMessages, type AlertFormat } from './alert-message.js'
import type { Notice } from './notice.js'
import { WebhookSender, type SenderStatus } from './webhook-sender.js'

export interface AlertsStatus extends SenderStatus {
  enabled: boolean
  format: AlertFormat
}

export interface Alerts {
  /** One cycle's state changes: queued for the webhooks, never waited for. Never throws. */
  notify: (events: StateEvent[]) => void
  /** Site changes, overdue maintenance, reports, tests: queued like state changes. Never throws. */
  send: (notices: Notice[]) => void
  status: () => AlertsStatus
  /** Resolves when every queued alert was delivered or given up (for tests). */
  idle: () => Promise<void>
  /** Gives queued alerts at most `graceMs` to go out; logs what is left. */
  close: (graceMs: number) => Promise<void>
}

export interface AlertsOptions {
  config: Config
  /** ALERT_WEBHOOK_URLS, checked and parsed with the other settings */
  urls: URL[]
  userAgent: string
  log: Log
}

/** State change alerts to the webhooks of ALERT_WEBHOOK_URLS, in the format ALERT_WEBHOOK_FORMAT. */
export function createAlerts ({ config: c, urls, userAgent, log }: AlertsOptions): Alerts {
  const sender = new WebhookSender({
    urls,
    timeoutMs: c.ALERT_TIMEOUT * 1000,
    queueMax: c.ALERT_QUEUE_MAX,
    retries: c.ALERT_RETRIES,
    retryDelayMs: c.ALERT_RETRY_DELAY * 1000,
    maxRetryDelayMs: 60_000,
    userAgent,
    log
  })
  if (urls.length > 0) log.info({ receivers: urls.map((u) => u.host), format: c.ALERT_WEBHOOK_FORMAT }, 'state change alerts go to webhooks')
  return {
    notify: (events) => {
      if (!sender.enabled) return
      try {
        for (const m of planMessages(events, c.ALERT_BATCH_MIN)) sender.send(buildPayload(m, c.ALERT_WEBHOOK_FORMAT))
      } catch (err: any) {
        log.error({ err: err?.message }, 'could not queue alerts')
      }
    },
    send: (notices) => {
      if (!sender.enabled) return
      try {
        for (const n of notices) sender.send(buildNoticePayload(n, c.ALERT_WEBHOOK_FORMAT))
      } catch (err: any) {
        log.error({ err: err?.message }, 'could not queue alerts')
      }
    },
    status: () => ({ enabled: sender.enabled, format: c.ALERT_WEBHOOK_FORMAT, ...sender.status() }),
    idle: () => sender.idle(),
    close: async (graceMs) => {
      if (!sender.enabled) return
      const left = await sender.close(graceMs)
      if (left > 0) log.warn({ alerts: left }, 'alerts still queued at shutdown were not sent')
    }
  }
}
