import { Type, type Static } from 'typebox'
import { Nullable } from './common.js'

/** /api/health's `cluster` part (CLUSTER_MODE=nats only). */
export const ClusterHealthSchema = Type.Object({
  mode: Type.Literal('nats'),
  instance_id: Type.String(),
  members: Type.Array(Type.String(), { description: 'the live members that take partitions, as this instance sees them' }),
  partitions: Type.Integer(),
  partitions_owned: Type.Integer({ description: 'partitions this instance pings in the current cycle' }),
  fenced: Type.Boolean({ description: 'true: NATS has not answered for 0.6 x CLUSTER_LEASE, this instance pings nothing' }),
  fenced_reason: Nullable(Type.String(), { description: 'why this instance pings nothing (null when it pings its partitions)' }),
  last_contact_s: Nullable(Type.Number(), { description: 'seconds since NATS last confirmed this instance\'s presence' }),
  nats_connected: Type.Boolean(),
  leaving: Type.Boolean(),
  handovers: Type.Integer({ description: 'partitions released to a new preferred owner' }),
  takeovers: Type.Integer({ description: 'partitions claimed from another owner (released or gone)' }),
  fence_count: Type.Integer(),
  missed_cycles: Type.Integer({ description: 'partition cycles nobody published, as this instance counted them' }),
  duplicate_results: Type.Integer({ description: 'partition results this instance published that another had already published for the same cycle' }),
  publish_failures: Type.Integer()
})
export type ClusterHealth = Static<typeof ClusterHealthSchema>
