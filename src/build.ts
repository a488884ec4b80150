import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import app from './app.js'

export const REDACT = ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.DB_PASSWORD', '*.API_KEY', 'DB_PASSWORD', 'API_KEY']

export interface BuildOptions {
  env: Record<string, string>
  logger?: FastifyServerOptions['logger']
  loggerInstance?: FastifyServerOptions['loggerInstance']
}

/** The same construction for production and tests: only the settings and the log destination differ. */
export async function buildServer (opts: BuildOptions): Promise<FastifyInstance> {
  const fastify = Fastify({
    ...(opts.loggerInstance !== undefined ? { loggerInstance: opts.loggerInstance } : { logger: opts.logger ?? { level: 'info', redact: REDACT } }),
    bodyLimit: 16 * 1024,
    routerOptions: { maxParamLength: 200 },
    // one line per cycle is the log's rhythm; per-request lines would drown it
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { coerceTypes: true, useDefaults: true, removeAdditional: true, allErrors: false } }
  }).withTypeProvider<TypeBoxTypeProvider>()
  await fastify.register(fp(app), { env: opts.env })
  await fastify.ready()
  return fastify
}
