import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import app from './app.js'
import { ServiceLogController } from './plugins/slow-requests.js'
import { parseTrustProxy } from './config/trust-proxy.js'
import { LOG_REDACT_PATHS } from './config/secrets.js'
import { FrontDoor } from './lib/front-door.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** where the response cache answers its hits before Fastify's routing (lib/front-door.ts) */
    frontDoor: FrontDoor
  }
}

export const REDACT = LOG_REDACT_PATHS

export interface BuildOptions {
  env: Record<string, string>
  logger?: FastifyServerOptions['logger']
  loggerInstance?: FastifyServerOptions['loggerInstance']
}

/** The same construction for production and tests: only the settings and the log destination differ. */
export async function buildServer (opts: BuildOptions): Promise<FastifyInstance> {
  const frontDoor = new FrontDoor()
  const fastify = Fastify({
    // the HTTP server Fastify would make, with the response cache's door in front (lib/front-door.ts)
    serverFactory: frontDoor.serverFactory,
    ...(opts.loggerInstance !== undefined ? { loggerInstance: opts.loggerInstance } : { logger: opts.logger ?? { level: 'info', redact: REDACT } }),
    bodyLimit: 16 * 1024,
    trustProxy: parseTrustProxy(opts.env.TRUST_PROXY),
    routerOptions: { maxParamLength: 200 },
    // one line per cycle is the log's rhythm; per-request lines would drown it (a slow request is logged)
    logController: new ServiceLogController(),
    // router-level failures (bad percent-encoding, over-long parameters) in the one error shape
    frameworkErrors: (err, _request, reply: any) => {
      const code = (err as { statusCode?: number }).statusCode ?? 400
      const error = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A URL parameter is too long' : err.code === 'FST_ERR_BAD_URL' ? 'Malformed URL' : 'Bad request'
      reply.code(code >= 400 && code < 500 ? code : 400).send({ success: false, error })
    },
    ajv: { customOptions: { coerceTypes: true, useDefaults: true, removeAdditional: true, allErrors: false } }
  }).withTypeProvider<TypeBoxTypeProvider>()
  fastify.decorate('frontDoor', frontDoor)
  await fastify.register(fp(app), { env: opts.env })
  await fastify.ready()
  return fastify
}
