import fp from 'fastify-plugin'
import type { FastifyError, preHandlerHookHandler } from 'fastify'
import { NotFinite } from '../errors.js'
import { withHookFirst } from '../lib/route-hooks.js'

/**
 * Whether values valid under a JSON schema (as TypeBox writes them) may be numbers: a `number` or
 * `integer` type anywhere in it; a reference, unresolved here, may be one too.
 */
export function mayHoldNumber (schema: unknown): boolean {
  if (schema === null || typeof schema !== 'object') return false
  if (Array.isArray(schema)) return schema.some(mayHoldNumber)
  const s = schema as Record<string, unknown>
  if (s.$ref !== undefined) return true
  const types = Array.isArray(s.type) ? s.type : [s.type]
  if (types.includes('number') || types.includes('integer')) return true
  return Object.values(s).some((v) => typeof v === 'object' && mayHoldNumber(v))
}

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
  // ajv lets "Infinity" (and 1e400) through integer/number checks with their bounds once coerced.
  // Checked on the routes whose params or querystring can hold a number (only a number schema makes
  // one: the rest stay strings), first among their preHandlers, as the global hook it was; synchronous
  app.addHook('onRoute', (route) => {
    const where = (['params', 'querystring'] as const).filter((w) => mayHoldNumber(route.schema?.[w]))
    if (where.length === 0) return
    const check: preHandlerHookHandler = function finiteNumbers (request, _reply, done) {
      for (const w of where) {
        const values = w === 'params' ? request.params : request.query
        if (values === null || typeof values !== 'object') continue
        for (const key in values) {
          const value = (values as Record<string, unknown>)[key]
          if (typeof value === 'number' && !Number.isFinite(value)) return done(new NotFinite(w, key))
        }
      }
      done()
    }
    route.preHandler = withHookFirst(check, route.preHandler)
  })
  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send({ success: false, error: `Route ${request.method} ${request.url.split('?')[0].slice(0, 200)} not found` })
  })
}, { name: 'errors' })
