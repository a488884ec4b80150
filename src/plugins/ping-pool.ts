import fp from 'fastify-plugin'
import { PingEngine } from '../ping/ping-engine.js'
import { resolveBackend } from '../ping/ping-backend.js'
import { defaultFlavor } from '../ping/ping-program.js'

declare module 'fastify' {
  interface FastifyInstance {
    pingEngine: PingEngine
  }
}

export default fp(async (app) => {
  const c = app.config
  const backend = resolveBackend(c.PING_BACKEND, c.FPING_COMMAND)
  const engine = new PingEngine({
    backend,
    command: c.PING_COMMAND,
    flavor: defaultFlavor(process.platform, c.PING_COMMAND),
    fpingCommand: c.FPING_COMMAND,
    fpingBatchSize: c.FPING_BATCH_SIZE,
    intervalMs: c.PING_INTERVAL * 1000,
    timeoutMs: Math.round(c.PING_TIMEOUT * 1000),
    maxInFlight: c.USE_MULTI_PING ? c.MAX_PING_WORKERS : 1,
    parallel: c.USE_MULTI_PING,
    fallbackToPing: c.PING_BACKEND === 'auto',
    onError: (err) => app.log.error({ err: err.message }, 'ping worker thread failed')
  })
  app.log.info({ backend, setting: c.PING_BACKEND, program: engine.program, max_processes: c.USE_MULTI_PING ? c.MAX_PING_WORKERS : 1 }, 'ping backend chosen')
  app.decorate('pingEngine', engine)
  app.addHook('onClose', async () => { await engine.close() })
}, { name: 'ping-pool', dependencies: ['config'] })
