import fp from 'fastify-plugin'
import fastifyEnv from '@fastify/env'
import { envSchema, type Config } from '../config/env-schema.js'
import { toConfigError } from '../config/load-config.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
  }
}

export interface ConfigPluginOptions {
  /** Already merged settings (see collectEnv). */
  env: Record<string, string>
}

export default fp<ConfigPluginOptions>(async (app, opts) => {
  // a copy: env-schema writes defaults and coerced values into the object it validates
  const data = { ...opts.env }
  try {
    await app.register(fastifyEnv, { schema: envSchema, data, env: false, dotenv: false })
  } catch (err) {
    throw toConfigError(err, opts.env)
  }
}, { name: 'config' })
