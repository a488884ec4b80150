import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'

const HealthSchema = {
  tags: ['service'],
  summary: 'Health: healthy or degraded, with the reasons',
  response: {
    200: Type.Object({
      success: Type.Literal(true),
      status: Type.Union([Type.Literal('healthy'), Type.Literal('degraded')]),
      service: Type.String(),
      version: Type.String(),
      uptime_s: Type.Number(),
      reasons: Type.Array(Type.String()),
      monitor: Type.Object({ running: Type.Boolean(), cycles: Type.Integer(), overruns: Type.Integer(), last_cycle_at: Type.Union([Type.String(), Type.Null()]) }),
      inventory: Type.Object({ source: Type.String(), healthy: Type.Boolean(), loaded: Type.Boolean(), devices: Type.Integer(), skipped_rows: Type.Integer(), last_loaded_at: Type.Union([Type.String(), Type.Null()]), last_error: Type.Union([Type.String(), Type.Null()]) }),
      csv: Type.Object({ healthy: Type.Boolean(), directory: Type.String(), last_error: Type.Union([Type.String(), Type.Null()]), pending_rows: Type.Integer(), dropped_rows: Type.Integer(), rows_written: Type.Integer() }),
      ping_program: Type.Object({ command: Type.String(), usable: Type.Union([Type.Boolean(), Type.Null()]), error: Type.Union([Type.String(), Type.Null()]) }),
      history: Type.Object({ loading: Type.Boolean({ description: 'true while earlier results are read back from the CSV files at start' }) })
    })
  }
}

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
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
      ping_program: { command: app.config.PING_COMMAND, usable: ping?.usable ?? null, error: ping?.error ?? null },
      history: { loading: app.historyLoading() }
    }
  })
}

export default healthRoutes
