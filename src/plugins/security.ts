import { createHash, timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import helmet from 'helmet'
import cors from '@fastify/cors'
import type { FastifyRequest } from 'fastify'
import { Forbidden, TooMany, Unauthorized } from '../errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler for control routes: API key when set, loopback clients only otherwise */
    requireControlAccess: (request: FastifyRequest) => Promise<void>
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest()

export function isLoopback (ip: string): boolean {
  const a = ip.startsWith('::ffff:') ? ip.slice(7) : ip
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a)
}

/** Constant-time: both sides are hashed to equal length first, so neither content nor length leaks. */
export function keyMatches (header: string | undefined, key: string): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '')
  return timingSafeEqual(digest(m?.[1] ?? ''), digest(key)) && m !== null
}

export default fp(async (app) => {
  const key = app.config.API_KEY
  if (key === undefined) app.log.warn({}, 'API_KEY is not set: control routes (POST) answer only clients on this machine (loopback)')
  app.decorate('requireControlAccess', async (request: FastifyRequest) => {
    if (key !== undefined) {
      if (!keyMatches(request.headers.authorization, key)) throw new Unauthorized()
      return
    }
    if (!isLoopback(request.ip)) throw new Forbidden()
  })
  // helmet's own middleware, built once: @fastify/helmet builds it again for every request (it parsed
  // the CSP options per request, about 5% of a small cached answer's cost)
  const securityHeaders = helmet({
    // the dashboard and the API docs load scripts, styles and data from this service only
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: null
      }
    },
    // plain HTTP on a LAN is the common case: do not pin browsers to HTTPS
    strictTransportSecurity: false
  })
  app.addHook('onRequest', (request, reply, done) => {
    securityHeaders(request.raw, reply.raw, (err?: unknown) => done(err as Error | undefined))
  })
  const origins = app.config.CORS_ORIGINS.split(',').map((o) => o.trim()).filter((o) => o !== '')
  if (origins.length > 0) await app.register(cors, { origin: origins, methods: ['GET', 'POST'], allowedHeaders: ['Authorization', 'Content-Type'], exposedHeaders: ['X-MPM-Shard'] })
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => new TooMany(ctx.max, ctx.after)
  })
}, { name: 'security', dependencies: ['config'] })
