import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

/*
 * Requests are not logged one by one (build.ts: one line per cycle is the log's rhythm, and a line per
 * request cost more than a cached answer itself); failures are (plugins/errors.ts logs every 5xx with
 * its request id). What an operator also needs is the request that took long: a miss computing a
 * 90-day availability, a client reading slowly, a loop blocked by a cycle. A second is long for any
 * answer of this service (a cached one takes well under a millisecond, a miss tens of ms).
 */
export const SLOW_REQUEST_MS = 1000

/**
 * Fastify's own per-request log lines off, and a line for a slow request. Fastify calls its log
 * controller's `requestCompleted` once an answer is finished (or failed), after the onResponse hooks,
 * whatever the route: the same moment an onResponse hook would see, without a hook run on every
 * request (an onResponse hook costs each answer the hook runner, for a line written almost never).
 */
export class ServiceLogController extends LogController {
  constructor () {
    super({ disableRequestLogging: true })
  }

  override requestCompleted (_error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const ms = reply.elapsedTime
    if (ms >= SLOW_REQUEST_MS) {
      request.log.warn({ method: request.method, url: request.url.slice(0, 200), statusCode: reply.statusCode, response_ms: Math.round(ms) }, 'slow request')
    }
  }
}
