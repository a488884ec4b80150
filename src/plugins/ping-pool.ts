import fp from 'fastify-plugin'
import { PingEngine } from '../ping/ping-engine.js'
import { defaultFlavor } from '../ping/ping-program.js'

declare module 'fastify' {
  interface FastifyInstance {
    pingEngine: PingEngine
  }
}

export default fp(async (app) => {
  const c = app.config
  const engine = new PingEngine({
    command: c.PING_COMMAND,
    flavor: defaultFlavor(),
    timeoutMs: Math.round(c.PING_TIMEOUT * 1000),
    maxInFlight: c.USE_MULTI_PING ? c.MAX_PING_WORKERS : 1,
    parallel: c.USE_MULTI_PING,
    onError: (err) => app.log.error({ err: err.message }, 'ping worker thread failed')
  })
  app.decorate('pingEngine', engine)
  app.addHook('onClose', async () => { await engine.close() })
}, { name: 'ping-pool', dependencies: ['config'] })
