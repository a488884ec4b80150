import fp from 'fastify-plugin'
import { LatestStatus } from '../monitor/latest-status.js'
import { Monitor, type CycleInfo } from '../monitor/monitor.js'
import type { CycleResult } from '../monitor/cycle.js'
import type { PingProgramCheck } from '../ping/ping-program.js'
import { readHistory } from '../storage/history-reader.js'
import type { ResultBatch } from '../storage/result-columns.js'

export interface HistoryReplayListener {
  /** called before the first cycle starts: from here until `done`, live cycles run beside the replay */
  start?: () => void
  /** earlier results as columns, oldest first; `strings` resolves their ip, hostname and error indexes */
  batch: (batch: ResultBatch, strings: string[]) => void
  done: () => void
}

declare module 'fastify' {
  interface FastifyInstance {
    monitor: Monitor
    latestStatus: LatestStatus
    pingProgram: () => PingProgramCheck | null
    /**
     * Listeners for finished cycles (history, device state, metrics, ...). Called on the main thread
     * after the status cache is updated; they must be quick and must not throw.
     */
    onCycleResults: Array<(cycle: CycleResult, info: CycleInfo) => void>
    /**
     * Listeners for the read-back of earlier results from the CSV files at start, oldest first. Live
     * cycles run meanwhile and reach onCycleResults at once: a listener that needs order buffers the
     * live ones until its `done` is called.
     */
    onHistoryReplay: HistoryReplayListener[]
    /** true while earlier results are being read back at start */
    historyLoading: () => boolean
    /** Starts what the process entry starts: inventory reloads, history read-back, the cycle timer. */
    startServices: () => Promise<void>
  }
}

/** read back a little more than HISTORY_HOURS, so the ping before the window's first one is known */
const REPLAY_MARGIN_MS = 10 * 60_000

export default fp(async (app) => {
  const c = app.config
  const latest = new LatestStatus()
  let pingProgram: PingProgramCheck | null = null
  const cycleListeners: Array<(cycle: CycleResult, info: CycleInfo) => void> = []
  const replayListeners: HistoryReplayListener[] = []
  let historyLoading = false
  app.onInventoryChange.push((devices) => latest.setDevices(devices))

  const monitor = new Monitor({
    intervalMs: c.PING_INTERVAL * 1000,
    stopGraceMs: (c.PING_TIMEOUT + 2) * 1000,
    devices: () => app.inventory.devices(),
    ping: (targets, signal) => app.pingEngine.pingAll(targets, signal),
    onCycle: (cycle, info) => {
      latest.update(cycle.rows)
      for (const listener of cycleListeners) {
        try {
          listener(cycle, info)
        } catch (err: any) {
          app.log.error({ err: err?.message }, 'cycle listener failed')
        }
      }
      // the writer orders and retries on its own; a slow disk must not hold up the next cycle
      app.resultWriter.write(cycle.rows).catch(() => {})
    },
    log: app.log
  })

  app.decorate('monitor', monitor)
  app.decorate('latestStatus', latest)
  app.decorate('onCycleResults', cycleListeners)
  app.decorate('onHistoryReplay', replayListeners)
  app.decorate('historyLoading', () => historyLoading)
  app.decorate('pingProgram', () => pingProgram)
  app.decorate('startServices', async () => {
    try {
      await app.resultWriter.init()
    } catch (err: any) {
      app.log.error({ dir: c.CSV_OUTPUT_DIR, err: err.message }, 'cannot prepare the CSV directory; results stay in memory until it works')
    }
    // checks the backend in use through the pool itself (so it also starts a worker thread); with
    // PING_BACKEND=auto an fping that cannot ping falls back to ping here
    pingProgram = await app.pingEngine.checkProgram()
    // start every worker thread now, so that the first cycle does not pay for thread start-up
    await app.pingEngine.pingAll(Array.from({ length: app.pingEngine.threads }, (_, i) => ({ target: `127.0.0.${i + 1}`, family: 4 as const })))
      .catch((err) => app.log.warn({ err: err.message }, 'ping pool warm-up failed'))
    if (pingProgram.usable) app.log.info({ backend: app.pingEngine.backend, program: pingProgram.command }, 'ping engine ready')
    else app.log.error({ backend: app.pingEngine.backend, program: pingProgram.command, err: pingProgram.error }, 'the ping program is missing or unusable: every device will be reported down with this reason (install iputils-ping and fping)')
    await app.inventory.start()
    app.log.info({ source: app.inventory.status().source }, app.config.DB_CONNECTION === 'sqlite'
      ? 'using the embedded inventory; set DB_CONNECTION=mysql and DB_* settings to read the inventaris table from MySQL/MariaDB'
      : 'using the MySQL/MariaDB inventory')
    // results from before a restart: last results and last-seen times, and whatever the listeners keep.
    // Everything before `started` comes from the files; everything after, from live cycles.
    const started = Date.now()
    for (const l of replayListeners) l.start?.()
    monitor.start()
    historyLoading = true
    let rows = 0
    const progress = setInterval(() => app.log.info({ rows, elapsed_s: Math.round((Date.now() - started) / 1000) }, 'reading earlier results back'), 5000)
    let malformed = 0
    // parsed in a worker thread; the batches are applied here, between requests and live cycles
    readHistory({ dir: c.CSV_OUTPUT_DIR, fromMs: started - c.HISTORY_HOURS * 3_600_000 - REPLAY_MARGIN_MS, toMs: started - 1 }, (batch, strings) => {
      rows += batch.n
      for (const l of replayListeners) l.batch(batch, strings)
    })
      .then((r) => {
        malformed = r.malformed
        for (const d of r.last) {
          if (d.lastOk !== null) latest.seed(d.lastOk.row, d.lastOk.at)
          latest.seed(d.last, d.at)
        }
      })
      .catch((err) => app.log.warn({ err: err.message }, 'could not read earlier results back'))
      .finally(() => {
        clearInterval(progress)
        historyLoading = false
        latest.setDevices(app.inventory.devices())
        for (const l of replayListeners) l.done()
        app.log.info({ rows, malformed, duration_ms: Date.now() - started }, 'earlier results read back')
      })
  })
  app.addHook('onClose', async () => { await monitor.stop() })
}, { name: 'monitor', dependencies: ['config', 'inventory', 'result-writer', 'ping-pool'] })
