import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { UnknownChannel } from '../../errors.js'
import { alertTestSchema } from '../../schemas/alerts.js'

const alertRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/test', {
    schema: alertTestSchema,
    preHandler: app.requireControlAccess,
    config: { rateLimit: { max: app.config.CONTROL_RATE_LIMIT, timeWindow: '1 minute' } }
  }, async (request, reply) => {
    const { channel } = request.query
    const r = await app.alerts.test(channel)
    if (r === null) {
      const names = app.alerts.channelNames()
      throw new UnknownChannel(JSON.stringify(channel), names.length === 0 ? 'none configured' : names.join(', '))
    }
    // sent here, not thrown: the error handler hides 5xx messages, and this one is the answer asked for
    if (!r.ok) return await (reply as FastifyReply).code(502).send({ success: false, error: `The test message to channel ${r.channel} (${r.type}) was not delivered: ${String(r.error)}${r.answer === null ? '' : `; the provider answered ${r.answer}`}` })
    return { success: true as const, channel: r.channel, type: r.type, answer: r.answer }
  })
}

export default alertRoutes
