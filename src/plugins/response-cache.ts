import fp from 'fastify-plugin'
import { LRUCache } from 'lru-cache'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** the answer changes only when a cycle ends or the inventory changes: serve it from memory until then */
    cachePerCycle?: boolean
  }
}

interface Entry { version: string, body: Buffer }

/**
 * The read routes answer from data that changes once per cycle; under load the same answer would be
 * serialised again and again. This keeps the serialised answers per URL until the next cycle (or
 * inventory change), bounded in bytes.
 */
export default fp(async (app) => {
  const cache = new LRUCache<string, Entry>({ maxSize: 128 * 1024 * 1024, sizeCalculation: (e) => e.body.length + 64 })
  // asked on every request: plain numbers, no status objects
  const version = () => `${app.monitor.cycleCount}|${app.inventory.loadCount}|${app.historyLoading() ? 'l' : ''}`
  // the data version each miss was computed from (taken before the handler runs)
  const misses = new WeakMap<object, string>()

  // callback hooks, not async ones: a hit costs no promise
  app.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.config.cachePerCycle !== true || request.method !== 'GET') return done()
    const v = version()
    const e = cache.get(request.url)
    if (e === undefined || e.version !== v) {
      misses.set(request, v)
      return done()
    }
    reply.type('application/json; charset=utf-8').send(e.body)
  })

  app.addHook('onSend', (request, reply, payload, done) => {
    const v = misses.get(request)
    if (v === undefined || reply.statusCode !== 200 || typeof payload !== 'string') return done(null, payload)
    // kept and sent as bytes: a large answer is encoded once per cycle, not once per request
    const body = Buffer.from(payload)
    cache.set(request.url, { version: v, body })
    done(null, body)
  })
}, { name: 'response-cache', dependencies: ['service'] })
