import { Type } from 'typebox'
import { Nullable, StringEnum, ResultRowSchema, errorResponses } from './common.js'
import { answer, docs } from './examples.js'

/** `hours`: decimals allowed, at most the history kept in memory (HISTORY_HOURS) */
const Hours = (max: number) => Type.Number({ exclusiveMinimum: 0, maximum: max, default: Math.min(24, max), description: `window in hours back from now (decimals allowed, at most ${max})` })
const DeviceId = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })

export const latestSchema = {
  tags: ['ping'],
  summary: 'Latest result of each monitored device, newest first',
  description: docs.latest.description,
  querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 10000, default: 100 }) }, { additionalProperties: false }),
  response: {
    200: Type.Object({ success: Type.Literal(true), data: Type.Array(ResultRowSchema), count: Type.Integer() }, answer(docs.latest)),
    ...errorResponses(400)
  }
}

export const deviceHistorySchema = (maxHours: number) => ({
  tags: ['ping'],
  summary: "One device's results in the window, newest first",
  description: docs.deviceHistory.description,
  params: Type.Object({ device_id: DeviceId }),
  querystring: Type.Object({
    hours: Hours(maxHours),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'at most this many rows, newest first' }))
  }, { additionalProperties: false }),
  response: {
    200: Type.Object({ success: Type.Literal(true), device_id: Type.Integer(), hours: Type.Number(), data: Type.Array(ResultRowSchema), count: Type.Integer() }, answer(docs.deviceHistory)),
    ...errorResponses(400, 404)
  }
})

const NullableMs = Nullable(Type.Number())
export const StatisticsSchema = Type.Object({
  total_pings: Type.Integer(),
  successful_pings: Type.Integer(),
  failed_pings: Type.Integer(),
  success_rate: Type.Number({ description: 'percent, 2 decimals; 0 when nothing was pinged' }),
  average_response_time_ms: NullableMs,
  min_response_time_ms: NullableMs,
  max_response_time_ms: NullableMs,
  p50_response_time_ms: Nullable(Type.Number(), { description: 'median (nearest rank); exact for one device, within 1% for all devices' }),
  p95_response_time_ms: Nullable(Type.Number(), { description: '95th percentile (nearest rank); exact for one device, within 1% for all devices' }),
  jitter_ms: Nullable(Type.Number(), { description: 'mean absolute difference of consecutive response times of the same device (pairs whose later ping is in the window)' }),
  packet_loss_percent: Type.Number({ description: 'failed pings in percent, 2 decimals' })
})

export const statisticsSchema = (maxHours: number) => ({
  tags: ['ping'],
  summary: 'Statistics over the window, for all devices or one',
  description: docs.statistics.description,
  querystring: Type.Object({ device_id: Type.Optional(DeviceId), hours: Hours(maxHours) }, { additionalProperties: false }),
  response: {
    200: Type.Object({ success: Type.Literal(true), device_id: Nullable(Type.Integer()), hours: Type.Number(), statistics: StatisticsSchema }, answer(docs.statistics)),
    ...errorResponses(400)
  }
})

export const timelineSchema = (maxHours: number) => ({
  tags: ['ping'],
  summary: "One device's results per time bucket: what a chart needs",
  description: docs.timeline.description,
  params: Type.Object({ device_id: DeviceId }),
  querystring: Type.Object({
    hours: Hours(maxHours),
    bucket: Type.Integer({ minimum: 5, maximum: 86_400, default: 60, description: 'bucket width in seconds; buckets start at multiples of it' })
  }, { additionalProperties: false }),
  response: {
    200: Type.Object({
      success: Type.Literal(true),
      device_id: Type.Integer(),
      hours: Type.Number(),
      bucket: Type.Integer(),
      data: Type.Array(Type.Object({
        start: Type.String(),
        pings: Type.Integer(),
        successes: Type.Integer(),
        avg_ms: Nullable(Type.Number()),
        max_ms: Nullable(Type.Number())
      }), { description: 'oldest first; a bucket without pings has pings 0 and null times' }),
      count: Type.Integer()
    }, answer(docs.timeline)),
    ...errorResponses(400, 404)
  }
})

export const overviewSchema = (maxHours: number) => ({
  tags: ['ping'],
  summary: 'Loss and a sparkline of response times per monitored device (for the dashboard)',
  description: docs.overview.description,
  querystring: Type.Object({
    minutes: Type.Number({ exclusiveMinimum: 0, maximum: maxHours * 60, default: Math.min(60, maxHours * 60) }),
    points: Type.Integer({ minimum: 1, maximum: 120, default: 30 })
  }, { additionalProperties: false }),
  response: {
    200: Type.Object({
      success: Type.Literal(true),
      minutes: Type.Number(),
      points: Type.Integer(),
      data: Type.Array(Type.Object({
        device_id: Type.Integer(),
        loss_percent: Nullable(Type.Number(), { description: 'null when the device has no result in the window' }),
        spark: Type.Array(Nullable(Type.Number()), { description: 'average response time per slice, oldest first; null where no reply' })
      })),
      count: Type.Integer()
    }, answer(docs.overview)),
    ...errorResponses(400)
  }
})

const LastSeen = Nullable(Type.String(), { description: 'last successful ping, null if never' })
const DeviceStateFields = {
  state: StringEnum(['unknown', 'up', 'down', 'flapping'], {
    description: 'down after DOWN_AFTER_FAILURES failed pings in a row, up again after UP_AFTER_SUCCESSES replies; flapping after FLAP_CHANGES up/down changes in FLAP_WINDOW results'
  }),
  consecutive_failures: Type.Integer({ description: 'failed pings in a row, 0 after a reply' }),
  down_since: Nullable(Type.String(), { description: 'first failed ping of the current outage; null when not down' })
}
export const statusSchema = {
  tags: ['ping'],
  summary: 'Online and offline devices',
  description: docs.status.description,
  response: {
    200: Type.Object({
      success: Type.Literal(true),
      data: Type.Object({
        total_devices: Type.Integer(),
        online_devices: Type.Integer(),
        offline_devices: Type.Integer(),
        pending_devices: Type.Integer({ description: 'monitored devices without a result yet' }),
        devices: Type.Object({
          online: Type.Array(Type.Object({ device_id: Type.Integer(), ip_address: Type.String(), hostname: Type.String(), last_seen: LastSeen, response_time_ms: NullableMs, ...DeviceStateFields })),
          offline: Type.Array(Type.Object({ device_id: Type.Integer(), ip_address: Type.String(), hostname: Type.String(), last_seen: LastSeen, error_message: Type.String(), ...DeviceStateFields }))
        }, { description: 'online/offline by the last ping; `state` is the debounced verdict (one lost ping does not make a device down)' })
      })
    }, answer(docs.status))
  }
}

const CycleInfo = Type.Object({
  number: Type.Integer(),
  started_at: Type.String(),
  duration_ms: Type.Number(),
  devices: Type.Integer(),
  up: Type.Integer(),
  down: Type.Integer()
})

export const ShardSchema = Type.Object({
  index: Type.Integer({ description: 'SHARD_INDEX: this instance monitors the devices whose id mod count is index' }),
  count: Type.Integer({ description: 'SHARD_COUNT: how many instances share the inventory (1 = not sharded)' }),
  other_shard_rows: Type.Integer({ description: 'inventory rows of the other shards (neither monitored nor counted as skipped here)' })
}, { description: 'the part of the inventory this instance covers; every answer also carries it in the X-MPM-Shard header (index/count)' })

export const ServiceState = Type.Object({
  running: Type.Boolean(),
  interval_s: Type.Number(),
  timeout_s: Type.Number(),
  workers: Type.Integer({ description: 'most pings in flight at once' }),
  threads: Type.Integer({ description: 'ping worker threads' }),
  mode: StringEnum(['parallel', 'sequential']),
  backend: StringEnum(['ping', 'fping'], { description: 'the ping engine in use (PING_BACKEND=auto picks fping when it is installed)' }),
  devices: Type.Integer(),
  skipped_rows: Type.Integer(),
  skipped: Type.Array(Type.Object({ device_id: Nullable(Type.Integer()), ip: Type.String(), reason: Type.String() }), { description: 'inventory rows not monitored, with the reason: the first 1,000 (skipped_rows counts them all)' }),
  cycles: Type.Integer(),
  overruns: Type.Integer(),
  abandoned_cycles: Type.Integer(),
  last_cycle: Type.Union([CycleInfo, Type.Null()]),
  shard: ShardSchema
})

export const serviceStatusSchema = {
  tags: ['service'],
  summary: 'Monitor state and counters',
  description: docs.serviceStatus.description,
  response: { 200: Type.Object({ success: Type.Literal(true), data: ServiceState }, answer(docs.serviceStatus)) }
}

export const serviceControlSchema = (what: string) => ({
  tags: ['service'],
  summary: `${what} the monitor (idempotent)`,
  description: (what === 'Start' ? docs.serviceStart : docs.serviceStop).description,
  security: [{ bearerAuth: [] }],
  response: { 200: Type.Object({ success: Type.Literal(true), data: ServiceState }, answer(what === 'Start' ? docs.serviceStart : docs.serviceStop)), ...errorResponses(401, 403, 429) }
})

export const testPingSchema = {
  tags: ['ping'],
  summary: 'Ping one IPv4/IPv6 address now; nothing is written',
  description: docs.testPing.description,
  security: [{ bearerAuth: [] }],
  params: Type.Object({ ip_address: Type.String({ maxLength: 64 }) }),
  response: {
    200: Type.Object({
      success: Type.Literal(true),
      ip_address: Type.String(),
      ping_result: Type.Object({ success: Type.Boolean(), response_time_ms: NullableMs, error_message: Type.String() })
    }, answer(docs.testPing)),
    ...errorResponses(400, 401, 403, 429)
  }
}
