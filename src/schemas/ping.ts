import { Type } from 'typebox'
import { ResultRowSchema, errorResponses } from './common.js'

const Hours = Type.Number({ exclusiveMinimum: 0, maximum: 8760, default: 24, description: 'window in hours back from now (decimals allowed)' })
const DeviceId = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })

export const latestSchema = {
  tags: ['ping'],
  summary: 'Latest result of each monitored device, newest first',
  querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 10000, default: 100 }) }, { additionalProperties: false }),
  response: {
    200: Type.Object({ success: Type.Literal(true), data: Type.Array(ResultRowSchema), count: Type.Integer() }),
    ...errorResponses(400)
  }
}

export const deviceHistorySchema = {
  tags: ['ping'],
  summary: "One device's results in the window, newest first",
  params: Type.Object({ device_id: DeviceId }),
  querystring: Type.Object({ hours: Hours }, { additionalProperties: false }),
  response: {
    200: Type.Object({ success: Type.Literal(true), device_id: Type.Integer(), hours: Type.Number(), data: Type.Array(ResultRowSchema), count: Type.Integer() }),
    ...errorResponses(400, 404)
  }
}

const NullableMs = Type.Union([Type.Number(), Type.Null()])
export const StatisticsSchema = Type.Object({
  total_pings: Type.Integer(),
  successful_pings: Type.Integer(),
  failed_pings: Type.Integer(),
  success_rate: Type.Number({ description: 'percent, 2 decimals; 0 when nothing was pinged' }),
  average_response_time_ms: NullableMs,
  min_response_time_ms: NullableMs,
  max_response_time_ms: NullableMs
})

export const statisticsSchema = {
  tags: ['ping'],
  summary: 'Statistics over the window, for all devices or one',
  querystring: Type.Object({ device_id: Type.Optional(DeviceId), hours: Hours }, { additionalProperties: false }),
  response: {
    200: Type.Object({ success: Type.Literal(true), device_id: Type.Union([Type.Integer(), Type.Null()]), hours: Type.Number(), statistics: StatisticsSchema }),
    ...errorResponses(400)
  }
}

const LastSeen = Type.Union([Type.String(), Type.Null()], { description: 'last successful ping, null if never' })
export const statusSchema = {
  tags: ['ping'],
  summary: 'Online and offline devices',
  response: {
    200: Type.Object({
      success: Type.Literal(true),
      data: Type.Object({
        total_devices: Type.Integer(),
        online_devices: Type.Integer(),
        offline_devices: Type.Integer(),
        pending_devices: Type.Integer({ description: 'monitored devices without a result yet' }),
        devices: Type.Object({
          online: Type.Array(Type.Object({ device_id: Type.Integer(), ip_address: Type.String(), hostname: Type.String(), last_seen: LastSeen, response_time_ms: NullableMs })),
          offline: Type.Array(Type.Object({ device_id: Type.Integer(), ip_address: Type.String(), hostname: Type.String(), last_seen: LastSeen, error_message: Type.String() }))
        })
      })
    })
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

export const ServiceState = Type.Object({
  running: Type.Boolean(),
  interval_s: Type.Number(),
  timeout_s: Type.Number(),
  workers: Type.Integer({ description: 'most pings in flight at once' }),
  threads: Type.Integer({ description: 'ping worker threads' }),
  mode: Type.Union([Type.Literal('parallel'), Type.Literal('sequential')]),
  devices: Type.Integer(),
  skipped_rows: Type.Integer(),
  skipped: Type.Array(Type.Object({ device_id: Type.Union([Type.Integer(), Type.Null()]), ip: Type.String(), reason: Type.String() }), { description: 'inventory rows not monitored, with the reason' }),
  cycles: Type.Integer(),
  overruns: Type.Integer(),
  abandoned_cycles: Type.Integer(),
  last_cycle: Type.Union([CycleInfo, Type.Null()])
})

export const serviceStatusSchema = {
  tags: ['service'],
  summary: 'Monitor state and counters',
  response: { 200: Type.Object({ success: Type.Literal(true), data: ServiceState }) }
}

export const serviceControlSchema = (what: string) => ({
  tags: ['service'],
  summary: `${what} the monitor (idempotent)`,
  security: [{ bearerAuth: [] }],
  response: { 200: Type.Object({ success: Type.Literal(true), data: ServiceState }), ...errorResponses(401, 403, 429) }
})

export const testPingSchema = {
  tags: ['ping'],
  summary: 'Ping one IPv4/IPv6 address now; nothing is written',
  security: [{ bearerAuth: [] }],
  params: Type.Object({ ip_address: Type.String({ maxLength: 64 }) }),
  response: {
    200: Type.Object({
      success: Type.Literal(true),
      ip_address: Type.String(),
      ping_result: Type.Object({ success: Type.Boolean(), response_time_ms: NullableMs, error_message: Type.String() })
    }),
    ...errorResponses(400, 401, 403, 429)
  }
}
