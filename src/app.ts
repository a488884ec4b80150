import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import config from './plugins/config.js'
import errors from './plugins/errors.js'
import security from './plugins/security.js'
import shard from './plugins/shard.js'
import service from './plugins/service.js'
import responseCache from './plugins/response-cache.js'
import healthRoutes from './routes/api/health.js'
import pingRoutes from './routes/api/ping.js'
import eventRoutes from './routes/api/events.js'
import maintenanceRoutes from './routes/api/maintenance.js'
import groupRoutes from './routes/api/groups.js'
import alertRoutes from './routes/api/alerts.js'
import availabilityRoutes from './routes/api/availability.js'
import metricsRoutes from './routes/metrics.js'
import dashboard from './plugins/dashboard.js'
import { ErrorResponse } from './schemas/common.js'
import { requestLogger } from './lib/request-logger.js'

declare module 'fastify' {
  interface FastifyInstance {
    serviceVersion: string
  }
}

export interface AppOptions {
  /** merged settings (see collectEnv) */
  env: Record<string, string>
}

// src/app.ts under the test loader, dist/src/app.js when built
const pkg = JSON.parse(readFileSync(new URL(import.meta.url.endsWith('.ts') ? '../package.json' : '../../package.json', import.meta.url), 'utf8'))

/**
 * The whole service as one plugin: settings, the composition root (src/service.ts), the API around
 * it. Building it starts nothing: no listener, no timers, no pings; `app.service.start()` does that.
 */
export default async function app (fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  fastify.decorate('serviceVersion', String(pkg.version))
  await fastify.register(config, { env: opts.env })
  fastify.log.level = fastify.config.LOG_LEVEL
  // before every route: a request's logger is made when something logs through it, not for every request
  fastify.setChildLoggerFactory(requestLogger)
  await fastify.register(errors)
  // before every route: each answer says which shard of the inventory this instance monitors
  await fastify.register(shard)
  fastify.addSchema(ErrorResponse)
  await fastify.register(swagger, {
    openapi: {
      // 3.1: its schemas are JSON Schema, as TypeBox writes them (numeric exclusiveMinimum, type lists for null)
      openapi: '3.1.0',
      info: { title: 'multi-ping-monitor', description: 'Live status, history and statistics of every device in the inventory', version: String(pkg.version) },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'API_KEY, when set' } } }
    }
  })
  // staticCSP: the UI's own page gets a policy with the hashes of its inline parts
  await fastify.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })
  await fastify.register(security)
  // the composition root (src/service.ts); it stops in its own order when the app closes
  await fastify.register(service)
  await fastify.register(responseCache)
  await fastify.register(healthRoutes, { prefix: '/api' })
  await fastify.register(pingRoutes, { prefix: '/api/ping' })
  await fastify.register(eventRoutes, { prefix: '/api/ping' })
  await fastify.register(maintenanceRoutes, { prefix: '/api' })
  await fastify.register(groupRoutes, { prefix: '/api/ping' })
  await fastify.register(alertRoutes, { prefix: '/api/alerts' })
  await fastify.register(availabilityRoutes, { prefix: '/api/ping' })
  await fastify.register(metricsRoutes)
  await fastify.register(dashboard)
}
