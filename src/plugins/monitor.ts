import fp from 'fastify-plugin'
import { LatestStatus } from '../monitor/latest-status.js'
import { Monitor } from '../monitor/monitor.js'
import { checkPingProgram, defaultFlavor, type PingProgramCheck } from '../ping/ping-program.js'
import { scanHistory } from '../storage/csv-history.js'

declare module 'fastify' {
  interface FastifyInstance {
    monitor: Monitor
    latestStatus: LatestStatus
    pingProgram: () => PingProgramCheck | null
    /** Starts what the process entry starts: inventory reloads, history read-back, the cycle timer. */
    startServices: () => Promise<void>
  }
}

export default fp(async (app) => {
  const c = app.config
  const latest = new LatestStatus()
  let pingProgram: PingProgramCheck | null = null
  app.onInventoryChange.push((devices) => latest.setDevices(devices))

  const monitor = new Monitor({
    intervalMs: c.PING_INTERVAL * 1000,
    stopGraceMs: (c.PING_TIMEOUT + 2) * 1000,
    devices: () => app.inventory.devices(),
    ping: (targets, signal) => app.pingEngine.pingAll(targets, signal),
    onCycle: (cycle) => {
      latest.update(cycle.rows)
      // the writer orders and retries on its own; a slow disk must not hold up the next cycle
      app.resultWriter.write(cycle.rows).catch(() => {})
    },
    log: app.log
  })

  app.decorate('monitor', monitor)
  app.decorate('latestStatus', latest)
  app.decorate('pingProgram', () => pingProgram)
  app.decorate('startServices', async () => {
    try {
      await app.resultWriter.init()
    } catch (err: any) {
      app.log.error({ dir: c.CSV_OUTPUT_DIR, err: err.message }, 'cannot prepare the CSV directory; results stay in memory until it works')
    }
    pingProgram = await checkPingProgram(c.PING_COMMAND, defaultFlavor())
    // start every worker thread now, so that the first cycle does not pay for thread start-up
    await app.pingEngine.pingAll(Array.from({ length: app.pingEngine.threads }, (_, i) => ({ target: `127.0.0.${i + 1}`, family: 4 as const })))
      .catch((err) => app.log.warn({ err: err.message }, 'ping pool warm-up failed'))
    if (!pingProgram.usable) app.log.error({ command: c.PING_COMMAND, err: pingProgram.error }, 'the ping program is missing or unusable: every device will be reported down with this reason (install iputils-ping)')
    await app.inventory.start()
    app.log.info({ source: app.inventory.status().source }, app.config.DB_CONNECTION === 'sqlite'
      ? 'using the embedded inventory; set DB_CONNECTION=mysql and DB_* settings to read the inventaris table from MySQL/MariaDB'
      : 'using the MySQL/MariaDB inventory')
    // last results and last-seen times from before a restart; newer live results always win
    const since = Date.now() - 24 * 3_600_000
    scanHistory({ dir: c.CSV_OUTPUT_DIR, fromMs: since, toMs: Date.now() + 60_000 }, (row, at) => latest.seed(row, at))
      .then(() => latest.setDevices(app.inventory.devices()))
      .catch((err) => app.log.warn({ err: err.message }, 'could not read earlier results back'))
    monitor.start()
  })
  app.addHook('onClose', async () => { await monitor.stop() })
}, { name: 'monitor', dependencies: ['config', 'inventory', 'result-writer', 'ping-pool'] })
