import fp from 'fastify-plugin'
import { buildPayload, planMessages, type AlertFormat } from '../alerts/alert-message.js'
import { WebhookSender, type SenderStatus } from '../alerts/webhook-sender.js'
import type { StateEvent } from '../state/device-state.js'

export interface AlertsStatus extends SenderStatus {
  enabled: boolean
  format: AlertFormat
}

export interface Alerts {
  /** One cycle's state changes: queued for the webhooks, never waited for. Never throws. */
  notify: (events: StateEvent[]) => void
  status: () => AlertsStatus
  /** Resolves when every queued alert was delivered or given up (for tests). */
  idle: () => Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    alerts: Alerts
  }
}

/** at shutdown, queued alerts get this long to go out (within close-with-grace's delay) */
const CLOSE_GRACE_MAX_MS = 3000

export default fp(async (app) => {
  const c = app.config
  const urls = app.settings.webhookUrls
  const sender = new WebhookSender({
    urls,
    timeoutMs: c.ALERT_TIMEOUT * 1000,
    queueMax: c.ALERT_QUEUE_MAX,
    retries: c.ALERT_RETRIES,
    retryDelayMs: c.ALERT_RETRY_DELAY * 1000,
    maxRetryDelayMs: 60_000,
    userAgent: `multi-ping-monitor/${app.serviceVersion}`,
    log: app.log
  })
  if (urls.length > 0) app.log.info({ receivers: urls.map((u) => u.host), format: c.ALERT_WEBHOOK_FORMAT }, 'state change alerts go to webhooks')

  app.decorate('alerts', {
    notify: (events: StateEvent[]) => {
      if (!sender.enabled) return
      try {
        for (const m of planMessages(events, c.ALERT_BATCH_MIN)) sender.send(buildPayload(m, c.ALERT_WEBHOOK_FORMAT))
      } catch (err: any) {
        app.log.error({ err: err?.message }, 'could not queue alerts')
      }
    },
    status: () => ({ enabled: sender.enabled, format: c.ALERT_WEBHOOK_FORMAT, ...sender.status() }),
    idle: () => sender.idle()
  })

  app.addHook('onClose', async () => {
    if (!sender.enabled) return
    // the whole shutdown must fit in PING_INTERVAL + PING_TIMEOUT + 2 s (see server.ts), and the cycle in
    // flight may already have taken PING_TIMEOUT + 2 s of it: alerts get at most half the interval
    const left = await sender.close(Math.min(c.ALERT_TIMEOUT * 1000, CLOSE_GRACE_MAX_MS, c.PING_INTERVAL * 500))
    if (left > 0) app.log.warn({ alerts: left }, 'alerts still queued at shutdown were not sent')
  })
}, { name: 'alerts', dependencies: ['config'] })
