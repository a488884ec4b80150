import fp from 'fastify-plugin'

/*
 * Requests are not logged one by one (build.ts: one line per cycle is the log's rhythm, and a line per
 * request cost more than a cached answer itself); failures are (plugins/errors.ts logs every 5xx with
 * its request id). What an operator also needs is the request that took long: a miss computing a
 * 90-day availability, a client reading slowly, a loop blocked by a cycle. A second is long for any
 * answer of this service (a cached one takes well under a millisecond, a miss tens of ms).
 */
export const SLOW_REQUEST_MS = 1000

export default fp(async (app) => {
  app.addHook('onResponse', (request, reply, done) => {
    const ms = reply.elapsedTime
    if (ms >= SLOW_REQUEST_MS) {
      request.log.warn({ method: request.method, url: request.url.slice(0, 200), statusCode: reply.statusCode, response_ms: Math.round(ms) }, 'slow request')
    }
    done()
  })
}, { name: 'slow-requests' })
