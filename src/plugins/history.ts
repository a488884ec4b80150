import fp from 'fastify-plugin'
import { HistoryStore } from '../history/history-store.js'
import type { ResultRow } from '../storage/result-row.js'

declare module 'fastify' {
  interface FastifyInstance {
    history: HistoryStore
  }
}

/**
 * Feeds the in-memory history: earlier results read back at start (oldest first), then every cycle.
 * Cycles that finish while the read-back runs are held and added after it, so each device's results
 * stay in time order.
 */
export default fp(async (app) => {
  const store = new HistoryStore({ hours: app.config.HISTORY_HOURS, intervalSeconds: app.config.PING_INTERVAL })
  let held: Array<Array<{ row: ResultRow, at: number }>> | null = null
  app.decorate('history', store)
  app.onHistoryReplay.push({
    start: () => { held ??= [] },
    batch: (b, strings) => store.addBatch(b, strings),
    done: () => {
      const cycles = held ?? []
      held = null
      for (const rows of cycles) for (const r of rows) store.add(r.row, r.at)
    }
  })
  app.onCycleResults.push((cycle) => {
    if (held !== null) held.push(cycle.rows)
    else for (const r of cycle.rows) store.add(r.row, r.at)
  })
}, { name: 'history', dependencies: ['config', 'monitor'] })
