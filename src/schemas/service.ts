import { Type, type Static } from 'typebox'
import { Nullable, StringEnum, errorResponses } from './common.js'
import { answer, docs } from './examples.js'

/** /api/ping/service/*: the monitor's state and its start/stop control. */

/** The last finished cycle, as the monitor reports it. */
export const CycleInfoSchema = Type.Object({
  number: Type.Integer(),
  started_at: Type.String(),
  duration_ms: Type.Number(),
  devices: Type.Integer(),
  up: Type.Integer(),
  down: Type.Integer()
})
export type CycleInfo = Static<typeof CycleInfoSchema>

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
  last_cycle: Type.Union([CycleInfoSchema, Type.Null()]),
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
