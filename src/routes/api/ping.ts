import { isIP } from 'node:net'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyContextConfig } from 'fastify'
import { NotAnIp, TooManyBuckets, UnknownDevice } from '../../errors.js'
import { roundMs } from '../../storage/result-row.js'
import { latestSchema, statusSchema } from '../../schemas/latest.js'
import { deviceHistorySchema, statisticsSchema, timelineSchema, overviewSchema } from '../../schemas/history.js'
import { serviceStatusSchema, serviceControlSchema } from '../../schemas/service.js'
import { testPingSchema } from '../../schemas/test-ping.js'
import { NO_LOCATION, NO_TYPE } from '../../inventory/filter-inventory.js'
import { NOT_IN_MAINTENANCE } from '../../schemas/device-facts.js'
import { deviceFacts } from '../../sites/device-facts.js'
import { formatTimeline } from '../../history/history-store.js'

const MAX_BUCKETS = 10_000
/** the facts of a device that has results in the window but left the inventory */
const LEFT_INVENTORY = { location: NO_LOCATION, rack: null, type: NO_TYPE, kondisi: '', maintenance: NOT_IN_MAINTENANCE }

const pingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const c = app.config

  const SKIPPED_LIST_MAX = 1000
  const serviceState = () => {
    const m = app.monitor.status()
    const inv = app.inventory.status()
    return {
      running: m.running,
      interval_s: c.PING_INTERVAL,
      timeout_s: c.PING_TIMEOUT,
      workers: c.USE_MULTI_PING ? c.MAX_PING_WORKERS : 1,
      threads: app.pingEngine.threads,
      mode: c.USE_MULTI_PING ? 'parallel' as const : 'sequential' as const,
      backend: app.pingEngine.backend,
      devices: inv.devices,
      skipped_rows: inv.skipped_rows,
      // a broken import can skip 100,000s of rows: the list is capped, the count is whole
      skipped: inv.skipped.length > SKIPPED_LIST_MAX ? inv.skipped.slice(0, SKIPPED_LIST_MAX) : inv.skipped,
      cycles: m.cycles,
      overruns: m.overruns,
      abandoned_cycles: m.abandoned_cycles,
      last_cycle: m.last_cycle,
      shard: { index: app.shard.index, count: app.shard.count, other_shard_rows: app.shard.otherShardRows }
    }
  }

  // cluster mode: fleet-wide from the results stream unless ?scope=local
  const fleet = app.service.cluster?.fleet
  // the fleet view changes whenever another instance's results arrive, not only at this one's cycles
  const fleetCache: FastifyContextConfig = fleet === undefined ? { cachePerCycle: true } : { cachePerCycle: true, cacheVersion: () => fleet.version }
  app.get('/latest', { schema: latestSchema, config: fleetCache }, async (request) => {
    const { limit, location_id, type_id, scope } = request.query
    const rows = fleet !== undefined && scope !== 'local' ? fleet.latestRows({ location_id, type_id }) : app.latestStatus.latestRows({ location_id, type_id })
    const data = rows.slice(0, limit)
    return { success: true as const, data, count: data.length }
  })

  const maxHours = c.HISTORY_HOURS
  /** [from, now] of the last `hours`, for a device that is monitored or has results in it; 404 otherwise */
  const deviceWindow = (id: number, hours: number) => {
    const now = Date.now()
    const from = now - hours * 3_600_000
    const known = app.inventory.devices().some((d) => d.device_id === id) || app.history.has(id, from, now)
    if (!known) throw new UnknownDevice(id, hours)
    return { from, now }
  }

  // cluster mode: a device's history spans its owners, asked over NATS at each request (their cycles
  // are not this instance's, and a partial answer must not be kept for a whole cycle)
  const cluster = app.service.cluster
  const perCycle = { cachePerCycle: cluster === null }
  app.get('/device/:device_id', { schema: deviceHistorySchema(maxHours), config: perCycle }, async (request) => {
    const { device_id } = request.params
    const { hours, limit } = request.query
    const { from, now } = deviceWindow(device_id, hours)
    const max = limit ?? Number.MAX_SAFE_INTEGER
    const d = app.sites.device(device_id)
    const facts = d === undefined ? LEFT_INVENTORY : deviceFacts(d, app.sites.maintenanceOf)
    if (cluster !== null) {
      const h = await cluster.deviceRows(device_id, from, now, max)
      return { success: true as const, device_id, hours, ...facts, data: h.data, count: h.data.length, partial: h.partial, missing_owners: h.missing_owners }
    }
    const data = app.history.deviceRows(device_id, from, now, max)
    return { success: true as const, device_id, hours, ...facts, data, count: data.length }
  })

  app.get('/statistics', { schema: statisticsSchema(maxHours), config: { cachePerCycle: true } }, async (request) => {
    const { device_id, hours } = request.query
    const now = Date.now()
    return { success: true as const, device_id: device_id ?? null, hours, statistics: app.history.statistics(now - hours * 3_600_000, now, device_id) }
  })

  app.get('/devices/:device_id/timeline', { schema: timelineSchema(maxHours), config: perCycle }, async (request) => {
    const { device_id } = request.params
    const { hours, bucket } = request.query
    const { from, now } = deviceWindow(device_id, hours)
    if ((now - from) / (bucket * 1000) > MAX_BUCKETS) throw new TooManyBuckets(MAX_BUCKETS, Math.ceil(hours * 3600 / MAX_BUCKETS))
    if (cluster !== null) {
      const h = await cluster.deviceTimeline(device_id, from, now, bucket * 1000)
      const data = formatTimeline(h.data)
      return { success: true as const, device_id, hours, bucket, data, count: data.length, partial: h.partial, missing_owners: h.missing_owners }
    }
    const data = app.history.timeline(device_id, from, now, bucket * 1000)
    return { success: true as const, device_id, hours, bucket, data, count: data.length }
  })

  app.get('/overview', { schema: overviewSchema(maxHours), config: { cachePerCycle: true } }, async (request) => {
    const { minutes, points, location_id, type_id } = request.query
    const now = Date.now()
    const ids: number[] = []
    for (const d of app.inventory.devices()) {
      if ((location_id === undefined || d.location.id === location_id) && (type_id === undefined || d.type.id === type_id)) ids.push(d.device_id)
    }
    const data = app.history.overview(ids, now - minutes * 60_000, now, points)
    return { success: true as const, minutes, points, data, count: data.length }
  })

  app.get('/status', { schema: statusSchema, config: fleetCache }, async (request) => {
    const { scope, ...filter } = request.query
    return { success: true as const, data: fleet !== undefined && scope !== 'local' ? fleet.status(filter) : app.latestStatus.status(filter) }
  })

  app.get('/service/status', { schema: serviceStatusSchema }, async () => ({ success: true as const, data: serviceState() }))

  const controlLimit = { rateLimit: { max: c.CONTROL_RATE_LIMIT, timeWindow: '1 minute' } }
  app.post('/service/start', { schema: serviceControlSchema('Start'), preHandler: app.requireControlAccess, config: controlLimit }, async () => {
    app.monitor.start()
    return { success: true as const, data: serviceState() }
  })

  app.post('/service/stop', { schema: serviceControlSchema('Stop'), preHandler: app.requireControlAccess, config: controlLimit }, async () => {
    await app.monitor.stop()
    return { success: true as const, data: serviceState() }
  })

  app.post('/test/:ip_address', {
    schema: testPingSchema,
    preHandler: app.requireControlAccess,
    config: { rateLimit: { max: c.TEST_PING_RATE_LIMIT, timeWindow: '1 minute' } }
  }, async (request) => {
    const ip = request.params.ip_address.trim()
    const family = isIP(ip)
    if (family !== 4 && family !== 6) throw new NotAnIp(JSON.stringify(ip.slice(0, 64)))
    const outcomes = await app.pingEngine.pingAll([{ target: ip, family }])
    const o = outcomes.get(ip)
    return {
      success: true as const,
      ip_address: ip,
      ping_result: {
        success: o?.success === true,
        response_time_ms: o?.success === true && o.response_time_ms !== null ? roundMs(o.response_time_ms) : null,
        error_message: o?.error_message ?? 'No result from ping worker'
      }
    }
  })
}

export default pingRoutes
