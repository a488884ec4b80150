import fp from 'fastify-plugin'
import fastifyEnv from '@fastify/env'
import { envSchema, type Config } from '../config/env-schema.js'
import { ConfigError, toConfigError } from '../config/load-config.js'

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
  const c = app.config
  // history older than the CSV files kept could never be rebuilt after a restart
  if (c.CSV_RETENTION_DAYS > 0 && c.HISTORY_HOURS > c.CSV_RETENTION_DAYS * 24) {
    throw new ConfigError('HISTORY_HOURS', opts.env.HISTORY_HOURS, `at most CSV_RETENTION_DAYS x 24 = ${c.CSV_RETENTION_DAYS * 24}`)
  }
}, { name: 'config' })
