import type { FastifyPluginAsync } from 'fastify'

/** GET /metrics: the Prometheus text format. Not an /api route: it has its own format and no JSON schema. */
const metricsRoutes: FastifyPluginAsync = async (app) => {
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const body = await app.metrics.exposition()
    return reply.type(app.metrics.contentType).send(body)
  })
}

export default metricsRoutes
