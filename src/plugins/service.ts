import fp from 'fastify-plugin'
import type { Alerts } from '../alerts/alerts.js'
import type { HistoryStore } from '../history/history-store.js'
import type { InventoryService } from '../inventory/inventory-service.js'
import type { Metrics } from '../metrics/service-metrics.js'
import type { Maintenance } from '../maintenance/maintenance.js'
import type { LatestStatus } from '../monitor/latest-status.js'
import type { Monitor } from '../monitor/monitor.js'
import type { PingEngine } from '../ping/ping-engine.js'
import type { PingProgramCheck } from '../ping/ping-program.js'
import { createService, type Service } from '../service.js'
import type { DeviceStates } from '../state/device-states.js'
import type { Sites } from '../sites/sites.js'
import type { CsvWriter } from '../storage/csv-writer.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** the composition root (src/service.ts): `service.start()` is what the process entry starts */
    service: Service
    // the parts the routes read, as the service built them
    monitor: Monitor
    inventory: InventoryService
    pingEngine: PingEngine
    resultWriter: CsvWriter
    latestStatus: LatestStatus
    history: HistoryStore
    deviceState: DeviceStates
    alerts: Alerts
    maintenance: Maintenance
    metrics: Metrics
    sites: Sites
    pingProgram: () => PingProgramCheck | null
    historyLoading: () => boolean
  }
}

/**
 * The service as Fastify sees it: built here from the validated settings (nothing starts), its parts
 * decorated for the routes, stopped in its own order when the app closes (after in-flight requests).
 */
export default fp(async (app) => {
  const service = createService({ config: app.config, settings: app.settings, shard: app.shard, version: app.serviceVersion, log: app.log, frontDoor: app.frontDoor })
  app.decorate('service', service)
  app.decorate('monitor', service.monitor)
  app.decorate('inventory', service.inventory)
  app.decorate('pingEngine', service.pingEngine)
  app.decorate('resultWriter', service.resultWriter)
  app.decorate('latestStatus', service.latest)
  app.decorate('history', service.history)
  app.decorate('deviceState', service.deviceStates)
  app.decorate('alerts', service.alerts)
  app.decorate('maintenance', service.maintenance)
  app.decorate('metrics', service.metrics)
  app.decorate('sites', service.sites)
  app.decorate('pingProgram', service.pingProgram)
  app.decorate('historyLoading', service.historyLoading)
  app.addHook('onClose', async () => { await service.stop() })
}, { name: 'service', dependencies: ['config', 'shard'] })
