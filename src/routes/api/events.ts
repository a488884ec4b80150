import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { eventsSchema } from '../../schemas/events.js'

const eventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/events', { schema: eventsSchema, config: { cachePerCycle: true } }, async (request) => {
    const { hours, device_id, limit } = request.query
    const now = Date.now()
    const events = await app.deviceState.events(now - hours * 3_600_000, now, device_id)
    const data = events.slice(-limit).reverse()
    return { success: true as const, hours, device_id: device_id ?? null, data, count: data.length }
  })
}

export default eventRoutes
