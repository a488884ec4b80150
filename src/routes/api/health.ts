import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { healthSchema } from '../../schemas/health.js'

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
  app.get('/health', { schema: healthSchema }, async () => {
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
    for (const ch of alerts.channels) {
      if (ch.failing && !/^webhook-\d+$/.test(ch.name)) reasons.push(`alert channel ${ch.name} (${ch.type}) failing since ${String(ch.failing_since)} (${String(ch.last_error)}); ${ch.queue_length} alerts waiting`)
    }
    const dropped = alerts.channels.reduce((n, ch) => n + ch.dropped, 0)
    if (dropped > 0) reasons.push(`${dropped} alerts were dropped because an alert queue was full`)
    const events = app.deviceState.eventLog.status()
    if (!events.healthy) reasons.push(`writing state events failing (${String(events.last_error)}); ${events.pending_events} events waiting in memory`)
    const maintenanceFile = app.maintenance.store()
    if (maintenanceFile.last_error !== null) reasons.push(`writing the maintenance file failing (${maintenanceFile.last_error})`)
    const availability = app.service.availability.availability.status()
    if (!availability.healthy) reasons.push(`availability store failing since ${String(availability.failing_since)} (${String(availability.last_error)}); ${availability.pending_rollups} device-hours of rollups and the outage changes waiting in memory`)
    const cluster = app.service.cluster?.status()
    if (cluster?.fenced === true) reasons.push(`cluster: fenced, ${String(cluster.fenced_reason)}`)
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
      availability: { healthy: availability.healthy, file: availability.file, failing_since: availability.failing_since, last_error: availability.last_error, write_errors: availability.write_errors, rebuilding: availability.rebuilding, pending_rollups: availability.pending_rollups, last_flush_ms: availability.last_flush_ms },
      process: processFigures(),
      shard: { index: app.shard.index, count: app.shard.count, other_shard_rows: app.shard.otherShardRows },
      ...(cluster === undefined ? {} : { cluster }),
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
        receivers: alerts.receivers,
        channels: alerts.channels
      },
      maintenance: { ...app.maintenance.summary(), file: maintenanceFile.file, last_error: maintenanceFile.last_error }
    }
  })
}

export default healthRoutes
