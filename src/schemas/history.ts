import { Type, type Static } from 'typebox'
import { DeviceId, Nullable, NullableMs, ResultRowSchema, errorResponses } from './common.js'
import { answer, docs } from './examples.js'
import { DeviceFactsFields } from './device-facts.js'
import { FactFilters } from './latest.js'

/** /api/ping/device, statistics, timeline, overview: the results kept in memory (src/history). */

/** cluster mode: a device's history spans its owners, asked over NATS; these say whether all of them answered */
const FleetHistoryFields = {
  partial: Type.Optional(Type.Boolean({ description: 'cluster mode (CLUSTER_MODE=nats): true when an instance that may hold part of this device\'s history did not answer within CLUSTER_PEER_TIMEOUT or is gone; the answer is what the others hold' })),
  missing_owners: Type.Optional(Type.Array(Type.String(), { description: 'cluster mode: INSTANCE_ID of each instance whose part is missing' }))
}
const HistoryRowSchema = Type.Object({ ...ResultRowSchema.properties, owner: Type.Optional(Type.String({ description: 'cluster mode: INSTANCE_ID of the instance that pinged it' })) })

/** `hours`: decimals allowed, at most the history kept in memory (HISTORY_HOURS) */
const Hours = (max: number) => Type.Number({ exclusiveMinimum: 0, maximum: max, default: Math.min(24, max), description: `window in hours back from now (decimals allowed, at most ${max})` })

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
    200: Type.Object({ success: Type.Literal(true), device_id: Type.Integer(), hours: Type.Number(), ...DeviceFactsFields, data: Type.Array(HistoryRowSchema), count: Type.Integer(), ...FleetHistoryFields }, answer(docs.deviceHistory)),
    ...errorResponses(400, 404)
  }
})

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
export type HistoryStatistics = Static<typeof StatisticsSchema>

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

export const TimelineBucketSchema = Type.Object({
  start: Type.String(),
  pings: Type.Integer(),
  successes: Type.Integer(),
  avg_ms: Nullable(Type.Number()),
  max_ms: Nullable(Type.Number())
})
export type TimelineBucket = Static<typeof TimelineBucketSchema>

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
      data: Type.Array(TimelineBucketSchema, { description: 'oldest first; a bucket without pings has pings 0 and null times' }),
      count: Type.Integer(),
      ...FleetHistoryFields
    }, answer(docs.timeline)),
    ...errorResponses(400, 404)
  }
})

export const OverviewEntrySchema = Type.Object({
  device_id: Type.Integer(),
  loss_percent: Nullable(Type.Number(), { description: 'null when the device has no result in the window' }),
  spark: Type.Array(Nullable(Type.Number()), { description: 'average response time per slice, oldest first; null where no reply' })
})
export type OverviewEntry = Static<typeof OverviewEntrySchema>

export const overviewSchema = (maxHours: number) => ({
  tags: ['ping'],
  summary: 'Loss and a sparkline of response times per monitored device (for the dashboard)',
  description: docs.overview.description,
  querystring: Type.Object({
    minutes: Type.Number({ exclusiveMinimum: 0, maximum: maxHours * 60, default: Math.min(60, maxHours * 60) }),
    points: Type.Integer({ minimum: 1, maximum: 120, default: 30 }),
    ...FactFilters
  }, { additionalProperties: false }),
  response: {
    200: Type.Object({
      success: Type.Literal(true),
      minutes: Type.Number(),
      points: Type.Integer(),
      data: Type.Array(OverviewEntrySchema),
      count: Type.Integer()
    }, answer(docs.overview)),
    ...errorResponses(400)
  }
})
