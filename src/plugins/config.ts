import fp from 'fastify-plugin'
import fastifyEnv from '@fastify/env'
import type { Config } from '../config/env-schema.js'
import { schemaFor, toConfigError, validateConfig, type Settings } from '../config/validate-config.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** every setting, checked against the env schema */
    config: Config
    /** what the settings' cross-checks derived from them (shard, webhook URLs, trust proxy) */
    settings: Settings
  }
}

export interface ConfigPluginOptions {
  /** Already merged settings (see collectEnv). */
  env: Record<string, string>
}

/** All the settings' checks (src/config/validate-config.ts) at start; a failure is one ConfigError line. */
export default fp<ConfigPluginOptions>(async (app, opts) => {
  // a copy: env-schema writes defaults and coerced values into the object it validates
  const data = { ...opts.env }
  try {
    await app.register(fastifyEnv, { schema: schemaFor(opts.env), data, env: false, dotenv: false })
  } catch (err) {
    throw toConfigError(err, opts.env)
  }
  app.decorate('settings', validateConfig(app.config, opts.env))
}, { name: 'config' })
