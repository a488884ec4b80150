import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyContextConfig } from 'fastify'
import { groupsSchema } from '../../schemas/groups.js'

const groupRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // the sites part computes each grouping at most once per cycle; the response cache keeps the answer
  // cluster mode: the fleet's groups unless ?scope=local
  const cluster = app.service.cluster
  // the fleet's groups change when another instance's state changes, not only at this one's cycles
  // (?scope=local then misses a cycle's reuse at worst: the version is per route, not per query)
  const fleet = cluster?.fleet
  const config: FastifyContextConfig = fleet === undefined ? { cachePerCycle: true } : { cachePerCycle: true, cacheVersion: () => fleet.groupsVersion }
  app.get('/groups', { schema: groupsSchema, config }, async (request) => {
    const { by, scope } = request.query
    const data = cluster !== null && scope !== 'local' ? cluster.groups(by) : app.sites.groups(by)
    return { success: true as const, by, data, count: data.length }
  })
}

export default groupRoutes
