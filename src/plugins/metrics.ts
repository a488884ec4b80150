import fp from 'fastify-plugin'
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import { DeviceGauges } from '../metrics/device-gauges.js'
import { FAILURE_REASONS, failureReason, type FailureReason } from '../metrics/failure-reason.js'
import { ResponseTimeHistogram } from '../metrics/response-time-histogram.js'

export const METRIC_PREFIX = 'mpm_'

export interface Metrics {
  registry: Registry
  contentType: string
  /** the whole exposition: prom-client's registry plus the per-device families */
  exposition: () => Promise<string>
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

/** A counter whose value is read at scrape time from a counter the service keeps anyway. */
function counterFrom (registry: Registry, name: string, help: string, read: () => number): Counter {
  return new Counter({
    name,
    help,
    registers: [registry],
    collect () {
      this.reset()
      this.inc(read())
    }
  })
}

function gaugeFrom (registry: Registry, name: string, help: string, read: () => number): Gauge {
  return new Gauge({ name, help, registers: [registry], collect () { this.set(read()) } })
}

/**
 * Prometheus metrics of this instance (its shard). One registry per app, never prom-client's global
 * one: tests build many apps in one process. Cycles only add numbers; text is written when scraped.
 */
export default fp(async (app) => {
  const p = METRIC_PREFIX
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: p })
  // prom-client names these three gauges *_total, which Prometheus reserves for counters (promtool
  // flags them); their per-type siblings (nodejs_active_handles{type} ...) carry the same: sum() them
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(p + name)

  const devices = new DeviceGauges(p)
  const rtt = new ResponseTimeHistogram(`${p}ping_response_time_seconds`, 'Response times of successful pings, all devices of this shard')
  const pings = new Counter({ name: `${p}pings_total`, help: 'Pings done (one per device per cycle)', registers: [registry] })
  const failures = new Counter({ name: `${p}ping_failures_total`, help: 'Failed pings by reason', labelNames: ['reason'], registers: [registry] })
  // every reason from the start, so that rate() and increase() see the first failure
  for (const reason of FAILURE_REASONS) failures.inc({ reason }, 0)

  counterFrom(registry, `${p}cycles_total`, 'Ping cycles completed', () => app.monitor.status().cycles)
  counterFrom(registry, `${p}cycle_overruns_total`, 'Cycles that took longer than PING_INTERVAL', () => app.monitor.status().overruns)
  counterFrom(registry, `${p}csv_write_errors_total`, 'Failed writes to the CSV files', () => app.resultWriter.status().write_errors)
  gaugeFrom(registry, `${p}devices`, 'Devices monitored by this instance (its shard of the inventory)', () => app.inventory.status().devices)
  // a gauge, not a counter: it is the number of rows skipped in the current inventory, and falls when a row is fixed
  gaugeFrom(registry, `${p}inventory_skipped_rows`, 'Inventory rows of this shard that are not monitored because of a bad id or address', () => app.inventory.status().skipped_rows)
  gaugeFrom(registry, `${p}inventory_other_shard_rows`, 'Inventory rows that belong to the other shards', () => app.shard.otherShardRows)
  gaugeFrom(registry, `${p}inventory_age_seconds`, 'Seconds since the inventory was last loaded successfully; +Inf before the first load', () => {
    const at = app.inventory.status().last_loaded_at
    return at === null ? Infinity : Math.max(0, (Date.now() - Date.parse(at)) / 1000)
  })
  gaugeFrom(registry, `${p}last_cycle_duration_seconds`, 'Duration of the last completed cycle', () => (app.monitor.status().last_cycle?.duration_ms ?? 0) / 1000)
  new Gauge({ name: `${p}shard_info`, help: 'The shard this instance monitors: devices whose id mod shard_count is shard_index', labelNames: ['shard_index', 'shard_count'], registers: [registry] })
    .set({ shard_index: String(app.shard.index), shard_count: String(app.shard.count) }, 1)

  app.onInventoryChange.push((list) => devices.setDevices(list))
  app.onCycleResults.push((cycle) => {
    // counted here per cycle and added once: a cycle may carry 50,000 rows
    const failed: Partial<Record<FailureReason, number>> = {}
    for (const { row } of cycle.rows) {
      if (row.ping_success) {
        if (row.response_time_ms !== null) rtt.observe(row.response_time_ms / 1000)
      } else {
        const reason = failureReason(row.error_message)
        failed[reason] = (failed[reason] ?? 0) + 1
      }
    }
    pings.inc(cycle.rows.length)
    for (const [reason, n] of Object.entries(failed)) failures.inc({ reason }, n)
    devices.update(cycle.rows)
  })

  app.decorate('metrics', {
    registry,
    contentType: registry.contentType,
    exposition: async () => (await registry.metrics()) + '\n' + devices.render() + '\n' + rtt.render()
  })
}, { name: 'metrics', dependencies: ['config', 'shard', 'inventory', 'result-writer', 'monitor'] })
