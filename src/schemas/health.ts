import { Type, type Static } from 'typebox'
import { Nullable, StringEnum } from './common.js'
import { answer, docs } from './examples.js'
import { MaintenanceSummarySchema } from './maintenance.js'
import { ClusterHealthSchema } from './cluster.js'
import { ShardSchema } from './service.js'

/** /api/health: healthy or degraded, with the reasons and each part's figures. */

const NullableString = Nullable(Type.String())

/** One alert webhook receiver, as the sender counts it. */
export const ReceiverStatusSchema = Type.Object({
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
})
export type ReceiverStatus = Static<typeof ReceiverStatusSchema>

/** One alert channel (ALERT_WEBHOOK_URLS' receivers as webhook-1, ..., and ALERT_CHANNELS_FILE's). */
export const ChannelHealthSchema = Type.Object({
  name: Type.String(),
  type: Type.String(),
  target: Type.String({ description: 'host[:port] only: paths and credentials are secrets' }),
  sent: Type.Integer(),
  failed: Type.Integer(),
  retried: Type.Integer(),
  dropped: Type.Integer(),
  queue_length: Type.Integer(),
  pending: Type.Integer({ description: 'changes and notices waiting for the batch window or the minimum spacing' }),
  failing: Type.Boolean(),
  failing_since: NullableString,
  last_error: NullableString,
  last_sent_at: NullableString
})
export type ChannelHealth = Static<typeof ChannelHealthSchema>

export const AlertsHealthSchema = Type.Object({
  enabled: Type.Boolean({ description: 'ALERT_WEBHOOK_URLS or ALERT_CHANNELS_FILE is set' }),
  format: Type.String(),
  sent: Type.Integer({ description: 'alerts delivered (counted per receiver)' }),
  failed: Type.Integer({ description: 'alerts given up after the retries, or refused by the receiver' }),
  retries: Type.Integer(),
  dropped: Type.Integer({ description: 'alerts dropped because a queue was full (or still queued at shutdown)' }),
  queue_length: Type.Integer(),
  last_error: NullableString,
  last_error_at: NullableString,
  receivers: Type.Array(ReceiverStatusSchema),
  channels: Type.Array(ChannelHealthSchema)
})
export type AlertsHealth = Static<typeof AlertsHealthSchema>

export const healthSchema = {
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
      availability: Type.Object({
        healthy: Type.Boolean({ description: 'false from a failure of the store (opening, writing, rebuilding) until a flush commits again' }),
        file: Type.String({ description: 'AVAILABILITY_FILE' }),
        failing_since: Nullable(Type.String()),
        last_error: Nullable(Type.String()),
        write_errors: Type.Integer(),
        rebuilding: Type.Boolean({ description: 'true while the rollups are rebuilt from the CSV files at start' }),
        pending_rollups: Type.Integer({ description: 'device-hours counted in memory, not yet flushed' }),
        last_flush_ms: Nullable(Type.Number())
      }, { description: 'the outage and rollup store (src/availability)' }),
      process: Type.Object({
        rss_mb: Type.Number(),
        heap_used_mb: Type.Number(),
        event_loop_delay_p50_ms: Type.Number({ description: 'over the last full minute (since start during the first minute)' }),
        event_loop_delay_p99_ms: Type.Number({ description: 'over the last full minute (since start during the first minute)' }),
        event_loop_delay_max_ms: Type.Number({ description: 'over the last full minute (since start during the first minute)' })
      }, { description: 'this process: memory, and how long the event loop was held up' }),
      shard: ShardSchema,
      cluster: Type.Optional(ClusterHealthSchema),
      alerts: AlertsHealthSchema,
      maintenance: Type.Object({
        ...MaintenanceSummarySchema.properties,
        file: Type.String({ description: 'MAINTENANCE_FILE' }),
        last_error: Nullable(Type.String(), { description: 'the last write of the file that failed; null once one succeeds' })
      })
    }, answer(docs.health))
  }
}
