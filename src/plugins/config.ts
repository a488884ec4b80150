import fp from 'fastify-plugin'
import fastifyEnv from '@fastify/env'
import { FAST_INTERVAL_MIN, envSchema, type Config } from '../config/env-schema.js'
import { ConfigError, toConfigError } from '../config/load-config.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
  }
}

const fastSchema = {
  ...envSchema,
  properties: { ...envSchema.properties, PING_INTERVAL: { ...envSchema.properties.PING_INTERVAL, minimum: FAST_INTERVAL_MIN } }
}

export interface ConfigPluginOptions {
  /** Already merged settings (see collectEnv). */
  env: Record<string, string>
}

export default fp<ConfigPluginOptions>(async (app, opts) => {
  // a copy: env-schema writes defaults and coerced values into the object it validates
  const data = { ...opts.env }
  // ALLOW_FAST_INTERVAL lowers PING_INTERVAL's floor from 0.5 to 0.1 s (checked by the schema's copy below)
  const fast = /^(true|1)$/i.test(opts.env.ALLOW_FAST_INTERVAL ?? '')
  const schema = fast ? fastSchema : envSchema
  try {
    await app.register(fastifyEnv, { schema, data, env: false, dotenv: false })
  } catch (err) {
    const e = toConfigError(err, opts.env)
    if (fast && e instanceof ConfigError && e.variable === 'PING_INTERVAL') {
      throw new ConfigError('PING_INTERVAL', opts.env.PING_INTERVAL, `a number, >= ${FAST_INTERVAL_MIN} (ALLOW_FAST_INTERVAL=true), <= 3600`)
    }
    throw e
  }
  const c = app.config
  // history older than the CSV files kept could never be rebuilt after a restart
  if (c.CSV_RETENTION_DAYS > 0 && c.HISTORY_HOURS > c.CSV_RETENTION_DAYS * 24) {
    throw new ConfigError('HISTORY_HOURS', opts.env.HISTORY_HOURS, `at most CSV_RETENTION_DAYS x 24 = ${c.CSV_RETENTION_DAYS * 24}`)
  }
}, { name: 'config' })
