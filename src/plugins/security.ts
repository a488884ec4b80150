import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import helmet from 'helmet'
import cors from '@fastify/cors'
import type { FastifyRequest } from 'fastify'
import { Forbidden, TooMany, Unauthorized } from '../errors.js'
import { shardHeaders } from './shard.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler for control routes: API key when set, loopback clients only otherwise */
    requireControlAccess: (request: FastifyRequest) => Promise<void>
    /**
     * the headers every answer gets (helmet's and the shard's), and whether they are all of it: with
     * CORS on, an answer's headers also depend on the request's Origin (the response cache's front
     * door then leaves every request to Fastify)
     */
    everyAnswer: { headers: Readonly<Record<string, string>>, perRequest: boolean }
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

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void

/**
 * The headers a middleware sets, for one that sets the same ones on every request: run once against
 * a recorder. It must finish synchronously and only set or remove headers (helmet's do).
 */
export function staticHeaders (middleware: Middleware): Record<string, string> {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader (name: string, value: string | number | readonly string[]) { headers[name.toLowerCase()] = String(value) },
    removeHeader (name: string) { Reflect.deleteProperty(headers, name.toLowerCase()) }
  }
  let finished = false
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err !== undefined) throw err
    finished = true
  })
  if (!finished) throw new Error('the security headers middleware did not finish at once')
  return headers
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
  // helmet's headers, made once: with these options none of them depends on the request (no CSP
  // nonces, no directive functions), so its middleware runs once, at start, into a recorder, and each
  // answer gets the same headers through Fastify's own reply headers (running it per request cost ~12
  // res.setHeader calls, ~4% of a small cached answer; @fastify/helmet built it again per request)
  const securityHeaders = staticHeaders(helmet({
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
  }))
  // and the shard header (plugins/shard.ts), fixed for the process too: one hook sets them all
  const everyAnswer = { ...securityHeaders, ...shardHeaders(app.shard) }
  app.addHook('onRequest', function staticAnswerHeaders (_request, reply, done) {
    reply.headers(everyAnswer)
    done()
  })
  const origins = app.config.CORS_ORIGINS.split(',').map((o) => o.trim()).filter((o) => o !== '')
  // the only global onRequest hooks: the response cache's front door (plugins/response-cache.ts)
  // answers a hit with exactly these headers, so a hook added here must be told to it too
  app.decorate('everyAnswer', { headers: everyAnswer, perRequest: origins.length > 0 })
  if (origins.length > 0) await app.register(cors, { origin: origins, methods: ['GET', 'POST'], allowedHeaders: ['Authorization', 'Content-Type'], exposedHeaders: ['X-MPM-Shard'] })
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => new TooMany(ctx.max, ctx.after)
  })
}, { name: 'security', dependencies: ['config', 'shard'] })
