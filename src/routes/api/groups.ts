import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { groupsSchema } from '../../schemas/groups.js'

const groupRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // the sites part computes each grouping at most once per cycle; the response cache keeps the answer
  // cluster mode: the fleet's groups unless ?scope=local
  const cluster = app.service.cluster
  app.get('/groups', { schema: groupsSchema, config: { cachePerCycle: true } }, async (request) => {
    const { by, scope } = request.query
    const data = cluster !== null && scope !== 'local' ? cluster.groups(by) : app.sites.groups(by)
    return { success: true as const, by, data, count: data.length }
  })
}

export default groupRoutes
