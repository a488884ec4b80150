import fp from 'fastify-plugin'
import { shardLabel, type Shard } from '../inventory/shard.js'

export interface ShardState extends Shard {
  /** inventory rows of the other shards in the last inventory loaded (set by the inventory plugin) */
  otherShardRows: number
}

declare module 'fastify' {
  interface FastifyInstance {
    shard: ShardState
  }
}

export const SHARD_HEADER = 'x-mpm-shard'

/** the header every answer carries, for the security plugin's prebuilt set */
export const shardHeaders = (shard: Shard): Record<string, string> => ({ [SHARD_HEADER]: shardLabel(shard) })

/**
 * Which shard of the inventory this instance monitors (SHARD_COUNT and SHARD_INDEX, checked together
 * by the config plugin). Every answer says it, in the X-MPM-Shard header (`index/count`), so a client
 * talking to several instances always knows which one answered. The header does not change while the
 * process runs: it is one of the security plugin's prebuilt headers (`shardHeaders`), set with them
 * on every answer, not a hook of its own.
 */
export default fp(async (app) => {
  const shard: ShardState = { ...app.settings.shard, otherShardRows: 0 }
  app.decorate('shard', shard)
  const label = shardLabel(shard)
  if (shard.count > 1) app.log.info({ shard_index: shard.index, shard_count: shard.count }, `monitoring shard ${label}: the devices whose id mod ${shard.count} is ${shard.index}`)
}, { name: 'shard', dependencies: ['config'] })
