import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { Nullable, StringEnum } from '../../schemas/common.js'
import { answer, docs } from '../../schemas/examples.js'
import { ShardSchema } from '../../schemas/ping.js'

const NullableString = Nullable(Type.String())

const HealthSchema = {
  tags: ['service'],
  summary: 'Health: healthy or degraded, with the reasons',
  description: docs.health.description,
  response: {
    200: Type.Object({
      success: Type.Literal(true),
      status: Type.Union([Type.Literal('healthy'), Type.Literal('degraded')]),
      service: Type.String(),
      version: Type.String(),
      uptime_s: Type.Number(),
      reasons: Type.Array(Type.String()),
      monitor: Type.Object({ running: Type.Boolean(), cycles: Type.Integer(), overruns: Type.Integer(), last_cycle_at: Nullable(Type.String()) }),
      inventory: Type.Object({ source: Type.String(), healthy: Type.Boolean(), loaded: Type.Boolean(), devices: Type.Integer(), skipped_rows: Type.Integer(), last_loaded_at: Nullable(Type.String()), last_error: Nullable(Type.String()) }),
      csv: Type.Object({ healthy: Type.Boolean(), directory: Type.String(), last_error: Nullable(Type.String()), pending_rows: Type.Integer(), dropped_rows: Type.Integer(), rows_written: Type.Integer() }),
      ping_program: Type.Object({ command: Type.String(), backend: StringEnum(['ping', 'fping']), usable: Nullable(Type.Boolean()), error: Nullable(Type.String()) }),
      history: Type.Object({ loading: Type.Boolean({ description: 'true while earlier results are read back from the CSV files at start' }) }),
      process: Type.Object({
        rss_mb: Type.Number(),
        heap_used_mb: Type.Number(),
        event_loop_delay_p50_ms: Type.Number({ description: 'over the last full minute (since start during the first minute)' }),
        event_loop_delay_p99_ms: Type.Number({ description: 'over the last full minute (since start during the first minute)' }),
        event_loop_delay_max_ms: Type.Number({ description: 'over the last full minute (since start during the first minute)' })
      }, { description: 'this process: memory, and how long the event loop was held up' }),
      shard: ShardSchema,
      alerts: Type.Object({
        enabled: Type.Boolean({ description: 'ALERT_WEBHOOK_URLS is set' }),
        format: Type.String(),
        sent: Type.Integer({ description: 'alerts delivered (counted per receiver)' }),
        failed: Type.Integer({ description: 'alerts given up after the retries, or refused by the receiver' }),
        retries: Type.Integer(),
        dropped: Type.Integer({ description: 'alerts dropped because a queue was full (or still queued at shutdown)' }),
        queue_length: Type.Integer(),
        last_error: NullableString,
        last_error_at: NullableString,
        receivers: Type.Array(Type.Object({
          host: Type.String({ description: 'host[:port] only: the rest of a webhook URL is a secret' }),
          sent: Type.Integer(),
          failed: Type.Integer(),
          retries: Type.Integer(),
          dropped: Type.Integer(),
          queue_length: Type.Integer(),
          failing: Type.Boolean({ description: 'its last alert was given up and none got through since' }),
          failing_since: NullableString,
          last_error: NullableString,
          last_sent_at: NullableString
        }))
      })
    }, answer(docs.health))
  }
}

const MB = 1024 * 1024
const round1 = (x: number) => Math.round(x * 10) / 10

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // the histogram holds the time between timer turns, resolution included: the delay is what exceeds it.
  // Figures are of the last full minute (of the time since start, in the first minute), so that the
  // start-up's module loading and history read-back do not stay in them forever.
  const LOOP_RESOLUTION_MS = 10
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS })
  loopDelay.enable()
  const delayOf = (ns: number) => round1(Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS))
  const loopFigures = () => ({
    event_loop_delay_p50_ms: delayOf(loopDelay.percentile(50)),
    event_loop_delay_p99_ms: delayOf(loopDelay.percentile(99)),
    event_loop_delay_max_ms: delayOf(loopDelay.max)
  })
  let lastMinute: ReturnType<typeof loopFigures> | null = null
  const minuteTimer = setInterval(() => {
    lastMinute = loopFigures()
    loopDelay.reset()
  }, 60_000)
  minuteTimer.unref()
  app.addHook('onClose', async () => {
    clearInterval(minuteTimer)
    loopDelay.disable()
  })
  const processFigures = () => {
    const mem = process.memoryUsage()
    return {
      rss_mb: round1(mem.rss / MB),
      heap_used_mb: round1(mem.heapUsed / MB),
      ...(lastMinute ?? loopFigures())
    }
  }

  const started = Date.now()
  app.get('/health', { schema: HealthSchema }, async () => {
    const inv = app.inventory.status()
    const csv = app.resultWriter.status()
    const mon = app.monitor.status()
    const ping = app.pingProgram()
    const reasons: string[] = []
    if (!inv.loaded) reasons.push(`inventory not loaded yet${inv.last_error === null ? '' : `: ${inv.last_error}`}`)
    else if (!inv.healthy) reasons.push(`inventory database unreachable since ${String(inv.failing_since)} (${String(inv.last_error)}); monitoring the last inventory loaded`)
    if (!csv.healthy) reasons.push(`CSV writing failing since ${String(csv.failing_since)} (${String(csv.last_error)}); ${csv.pending_rows} results waiting in memory`)
    if (csv.dropped_rows > 0) reasons.push(`${csv.dropped_rows} results were dropped because the CSV buffer was full`)
    if (ping !== null && !ping.usable) reasons.push(`ping program unusable: ${String(ping.error)}`)
    // a receiver that lost alerts degrades health until one gets through again: nobody may be told of outages
    const alerts = app.alerts.status()
    for (const r of alerts.receivers) {
      if (r.failing) reasons.push(`alert webhook ${r.host} failing since ${String(r.failing_since)} (${String(r.last_error)}); ${r.queue_length} alerts waiting`)
    }
    if (alerts.dropped > 0) reasons.push(`${alerts.dropped} alerts were dropped because an alert queue was full`)
    const events = app.deviceState.eventLog.status()
    if (!events.healthy) reasons.push(`writing state events failing (${String(events.last_error)}); ${events.pending_events} events waiting in memory`)
    return {
      success: true as const,
      status: reasons.length === 0 ? 'healthy' as const : 'degraded' as const,
      service: 'multi-ping-monitor',
      version: app.serviceVersion,
      uptime_s: Math.round((Date.now() - started) / 1000),
      reasons,
      monitor: { running: mon.running, cycles: mon.cycles, overruns: mon.overruns, last_cycle_at: mon.last_cycle?.started_at ?? null },
      inventory: { source: inv.source, healthy: inv.healthy, loaded: inv.loaded, devices: inv.devices, skipped_rows: inv.skipped_rows, last_loaded_at: inv.last_loaded_at, last_error: inv.last_error },
      csv: { healthy: csv.healthy, directory: app.config.CSV_OUTPUT_DIR, last_error: csv.last_error, pending_rows: csv.pending_rows, dropped_rows: csv.dropped_rows, rows_written: csv.rows_written },
      ping_program: { command: ping?.command ?? app.pingEngine.program, backend: app.pingEngine.backend, usable: ping?.usable ?? null, error: ping?.error ?? null },
      history: { loading: app.historyLoading() },
      process: processFigures(),
      shard: { index: app.shard.index, count: app.shard.count, other_shard_rows: app.shard.otherShardRows },
      alerts: {
        enabled: alerts.enabled,
        format: alerts.format,
        sent: alerts.sent,
        failed: alerts.failed,
        retries: alerts.retries,
        dropped: alerts.dropped,
        queue_length: alerts.queue_length,
        last_error: alerts.last_error,
        last_error_at: alerts.last_error_at,
        receivers: alerts.receivers
      }
    }
  })
}

export default healthRoutes
