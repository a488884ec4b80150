import fp from 'fastify-plugin'
import { ConfigError } from '../config/load-config.js'
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

/** SHARD_COUNT and SHARD_INDEX, checked together: one clear line when they do not fit. */
export function shardFromConfig (c: { SHARD_COUNT: number, SHARD_INDEX: number }, raw: Record<string, string | undefined> = {}): Shard {
  if (c.SHARD_INDEX >= c.SHARD_COUNT) throw new ConfigError('SHARD_INDEX', raw.SHARD_INDEX ?? c.SHARD_INDEX, `0 to SHARD_COUNT - 1 = ${c.SHARD_COUNT - 1}`)
  return { index: c.SHARD_INDEX, count: c.SHARD_COUNT }
}

/**
 * Which shard of the inventory this instance monitors. Every answer says it, in the X-MPM-Shard
 * header (`index/count`), so a client talking to several instances always knows which one answered.
 */
export default fp<{ env?: Record<string, string> }>(async (app, opts) => {
  const shard: ShardState = { ...shardFromConfig(app.config, opts.env), otherShardRows: 0 }
  app.decorate('shard', shard)
  const label = shardLabel(shard)
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header(SHARD_HEADER, label)
    done(null, payload)
  })
  if (shard.count > 1) app.log.info({ shard_index: shard.index, shard_count: shard.count }, `monitoring shard ${label}: the devices whose id mod ${shard.count} is ${shard.index}`)
}, { name: 'shard', dependencies: ['config'] })
