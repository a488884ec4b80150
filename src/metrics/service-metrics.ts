import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import type { Device } from '../inventory/filter-inventory.js'
import type { CycleColumns } from '../storage/result-columns.js'
import { DeviceGauges } from './device-gauges.js'
import type { Group } from '../sites/groups.js'
import { FAILURE_REASONS, failureReason, type FailureReason } from './failure-reason.js'
import { ResponseTimeHistogram } from './response-time-histogram.js'

export const METRIC_PREFIX = 'mpm_'

/** The service's own counters, read at scrape time (the service keeps them anyway). */
export interface MetricSources {
  cycles: () => number
  overruns: () => number
  lastCycleDurationMs: () => number
  csvWriteErrors: () => number
  devices: () => number
  skippedRows: () => number
  otherShardRows: () => number
  /** epoch ms of the last successful inventory load, or null before the first */
  inventoryLoadedAt: () => number | null
  shard: { index: number, count: number }
  now: () => number
  /** the devices counted by location (src/sites/groups.ts), for mpm_location_devices */
  locationGroups?: () => Group[]
  /** the response cache's front door (src/lib/front-door.ts): its counts are read at scrape time */
  frontDoor?: { readonly served: number, readonly failures: number }
  /** more metric families on the same registry (cluster mode's, from src/cluster/cluster-metrics.ts) */
  collectors?: Array<(registry: Registry, prefix: string) => void>
}

export interface Metrics {
  contentType: string
  /** the whole exposition: prom-client's registry plus the per-device families */
  exposition: () => Promise<string>
  /** adds one cycle's results */
  addCycle: (cycle: CycleColumns) => void
  /** the monitored devices changed */
  setDevices: (devices: Device[]) => void
}

/**
 * A cycle's replies into the histogram and its failures by reason, counted here per cycle and added
 * to the counters once: a cycle may carry 50,000 rows. A function of its own: V8 compiles a running
 * loop (OSR) with the whole function around it, and inside addCycle that took the counters' and the
 * gauges' code with it.
 */
function countCycle (c: CycleColumns, rtt: ResponseTimeHistogram): Partial<Record<FailureReason, number>> {
  const failed: Partial<Record<FailureReason, number>> = {}
  // the reason of each distinct error text, once per cycle (a cycle has a handful of them)
  const reasons = new Array<FailureReason | undefined>(c.errors.length)
  for (let i = 0; i < c.n; i++) {
    if (c.ok[i] === 1) {
      const ms = c.rtt[i]
      if (!Number.isNaN(ms)) rtt.observe(ms / 1000)
    } else {
      const e = c.error[i]
      const reason = reasons[e] ??= failureReason(c.errors[e])
      failed[reason] = (failed[reason] ?? 0) + 1
    }
  }
  return failed
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
 * Prometheus metrics of this instance (its shard). One registry per service, never prom-client's
 * global one: tests build many services in one process. Cycles only add numbers; text is written
 * when scraped.
 */
export function createMetrics (src: MetricSources): Metrics {
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

  counterFrom(registry, `${p}cycles_total`, 'Ping cycles completed', src.cycles)
  counterFrom(registry, `${p}cycle_overruns_total`, 'Cycles that took longer than PING_INTERVAL', src.overruns)
  counterFrom(registry, `${p}csv_write_errors_total`, 'Failed writes to the CSV files', src.csvWriteErrors)
  gaugeFrom(registry, `${p}devices`, 'Devices monitored by this instance (its shard of the inventory)', src.devices)
  // a gauge, not a counter: it is the number of rows skipped in the current inventory, and falls when a row is fixed
  gaugeFrom(registry, `${p}inventory_skipped_rows`, 'Inventory rows of this shard that are not monitored because of a bad id or address', src.skippedRows)
  gaugeFrom(registry, `${p}inventory_other_shard_rows`, 'Inventory rows that belong to the other shards', src.otherShardRows)
  gaugeFrom(registry, `${p}inventory_age_seconds`, 'Seconds since the inventory was last loaded successfully; +Inf before the first load', () => {
    const at = src.inventoryLoadedAt()
    return at === null ? Infinity : Math.max(0, (src.now() - at) / 1000)
  })
  gaugeFrom(registry, `${p}last_cycle_duration_seconds`, 'Duration of the last completed cycle', () => src.lastCycleDurationMs() / 1000)
  new Gauge({ name: `${p}shard_info`, help: 'The shard this instance monitors: devices whose id mod shard_count is shard_index', labelNames: ['shard_index', 'shard_count'], registers: [registry] })
    .set({ shard_index: String(src.shard.index), shard_count: String(src.shard.count) }, 1)
  const door = src.frontDoor
  if (door !== undefined) {
    // how many reads the cache answered before Fastify's routing, and whether its handler ever threw
    // (such a request is answered by Fastify instead, so only this counter shows the bug)
    counterFrom(registry, `${p}http_front_door_answers_total`, 'Cached API answers sent before Fastify\'s routing (response cache hits)', () => door.served)
    counterFrom(registry, `${p}http_front_door_failures_total`, 'Front-door handler errors (those requests were answered by Fastify)', () => door.failures)
  }
  for (const add of src.collectors ?? []) add(registry, p)

  const locationGroups = src.locationGroups
  if (locationGroups !== undefined) {
    const states = ['up', 'down', 'unreachable', 'flapping', 'unknown'] as const
    registry.registerMetric(new Gauge({
      name: `${p}location_devices`,
      help: 'Devices of each location by state (unreachable: behind the down uplinks of the location)',
      labelNames: ['location_id', 'location', 'state'],
      registers: [],
      collect () {
        this.reset()
        for (const g of locationGroups()) {
          const labels = { location_id: g.id === null ? '' : String(g.id), location: g.name }
          for (const state of states) this.set({ ...labels, state }, g[state])
        }
      }
    }))
  }

  return {
    contentType: registry.contentType,
    exposition: async () => (await registry.metrics()) + '\n' + devices.render() + '\n' + rtt.render(),
    setDevices: (list) => devices.setDevices(list),
    addCycle: (cycle) => {
      const failed = countCycle(cycle, rtt)
      pings.inc(cycle.n)
      for (const [reason, n] of Object.entries(failed)) failures.inc({ reason }, n)
      devices.update(cycle)
    }
  }
}
