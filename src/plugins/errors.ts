import fp from 'fastify-plugin'
import type { FastifyError } from 'fastify'
import { NotFinite } from '../errors.js'

/** One error shape everywhere: { success: false, error }; 5xx details are logged, never sent. */
export default fp(async (app) => {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500
    if (status >= 500) {
      request.log.error({ err }, 'request failed')
      return reply.code(status).send({ success: false, error: status === 503 ? 'Service unavailable' : 'Internal server error' })
    }
    if (err.validation !== undefined) {
      return reply.code(400).send({ success: false, error: `Invalid request: ${err.message}` })
    }
    if (status === 429 && reply.getHeader('retry-after') === undefined) reply.header('retry-after', '60')
    return reply.code(status).send({ success: false, error: err.message })
  })
  // ajv lets "Infinity" (and 1e400) through integer/number checks with their bounds once coerced
  app.addHook('preHandler', async (request) => {
    for (const [where, values] of [['params', request.params], ['querystring', request.query]] as const) {
      if (values === null || typeof values !== 'object') continue
      for (const [key, value] of Object.entries(values)) {
        if (typeof value === 'number' && !Number.isFinite(value)) throw new NotFinite(where, key)
      }
    }
  })
  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send({ success: false, error: `Route ${request.method} ${request.url.split('?')[0].slice(0, 200)} not found` })
  })
}, { name: 'errors' })
