import type { Config } from './config/env-schema.js'
import type { Settings } from './config/validate-config.js'
import { createAlerts, deviceLookup, type Alerts } from './alerts/alerts.js'
import { createAvailabilityParts, type AvailabilityParts } from './availability/availability-parts.js'
import { createCluster, type Cluster } from './cluster/cluster.js'
import { clusterMetrics } from './cluster/cluster-metrics.js'
import { HistoryStore } from './history/history-store.js'
import type { Device } from './inventory/filter-inventory.js'
import { deviceFacts } from './sites/device-facts.js'
import { createInventory } from './inventory/inventory-source.js'
import type { InventoryService } from './inventory/inventory-service.js'
import type { Log } from './lib/log.js'
import { createMetrics, type Metrics, type MetricSources } from './metrics/service-metrics.js'
import { createMaintenance, type Maintenance } from './maintenance/maintenance.js'
import { LatestStatus } from './monitor/latest-status.js'
import { Monitor, type MonitorClock } from './monitor/monitor.js'
import { ResultPipeline, type Stage } from './pipeline.js'
import { resolveBackend } from './ping/ping-backend.js'
import { PingEngine } from './ping/ping-engine.js'
import { defaultFlavor, type PingProgramCheck } from './ping/ping-program.js'
import type { ShardState } from './plugins/shard.js'
import { createDeviceStates, type DeviceStates } from './state/device-states.js'
import type { StateEvent } from './state/device-state.js'
import { toEventRow } from './state/event-row.js'
import { CsvWriter } from './storage/csv-writer.js'
import { cycleCsvRun } from './storage/result-row.js'
import { fullCollection } from './lib/full-collection.js'
import { readHistory } from './storage/history-reader.js'
import type { MaintenanceStatus } from './schemas/device-facts.js'
import { createSites, type Sites } from './sites/sites.js'

export interface ServiceOptions {
  config: Config
  /** what the settings' cross-checks derived (webhook URLs, ...) */
  settings: Settings
  shard: ShardState
  /** the service's version, for the alerts' User-Agent */
  version: string
  log: Log
  /** time reads and the scheduler's timers (the real ones by default; tests inject a fake clock) */
  clock?: MonitorClock
  /** the HTTP server's front door, for its counts in the metrics (the app passes its own) */
  frontDoor?: MetricSources['frontDoor']
}

/** How long each part of the shutdown may take: the whole must fit in close-with-grace's delay. */
export interface ShutdownBudget {
  /** close-with-grace's delay: the cycle in flight gets cycleGraceMs, the rest a little more */
  totalMs: number
  /** the cycle in flight may finish within this; then it is abandoned and its results dropped */
  cycleGraceMs: number
  /**
   * queued alerts may go out within this: the cycle in flight may already have taken cycleGraceMs of
   * the total, so alerts get at most half the interval (and never more than 3 s)
   */
  alertsMs: number
}

export function shutdownBudget (c: Pick<Config, 'PING_INTERVAL' | 'PING_TIMEOUT' | 'ALERT_TIMEOUT'> & Partial<Pick<Config, 'CLUSTER_MODE'>>): ShutdownBudget {
  // cluster mode: the partitions are handed over first, at a cycle boundary up to two intervals away
  const drainMs = c.CLUSTER_MODE === 'nats' ? clusterDrainMs(c) : 0
  return {
    totalMs: Math.round((c.PING_INTERVAL + c.PING_TIMEOUT + 2) * 1000) + drainMs,
    cycleGraceMs: (c.PING_TIMEOUT + 2) * 1000,
    alertsMs: Math.min(c.ALERT_TIMEOUT * 1000, 3000, c.PING_INTERVAL * 500)
  }
}

/** the longest a planned stop waits for its partitions' last cycle (the next slot's, then its end) */
function clusterDrainMs (c: Pick<Config, 'PING_INTERVAL' | 'PING_TIMEOUT'>): number {
  return Math.round((2 * c.PING_INTERVAL + c.PING_TIMEOUT + 1) * 1000)
}

export interface Service {
  config: Config
  /** cluster mode (CLUSTER_MODE=nats): partitions, membership and the fleet-wide view; null in static mode */
  cluster: Cluster | null
  inventory: InventoryService
  pingEngine: PingEngine
  resultWriter: CsvWriter
  monitor: Monitor
  latest: LatestStatus
  history: HistoryStore
  deviceStates: DeviceStates
  alerts: Alerts
  /** who is in maintenance (kondisi, windows): no alerts for them; `statusOf(device)` for device rows */
  maintenance: Maintenance
  metrics: Metrics
  sites: Sites
  pipeline: ResultPipeline
  /** outages, hourly rollups and shift reports (src/availability, src/reports) */
  availability: AvailabilityParts
  shutdown: ShutdownBudget
  /** the ping program check done at start (null before it) */
  pingProgram: () => PingProgramCheck | null
  /** true while earlier results are read back at start */
  historyLoading: () => boolean
  /** Prepares the CSV directory and the ping pool, loads the inventory, starts the cycles and the read-back. */
  start: () => Promise<void>
  /** Stops everything in the one shutdown order (see stop below). Idempotent. */
  stop: () => Promise<void>
}

/** state changes of one cycle logged one line each up to this many; beyond it, one summary line */
const LOG_EACH_MAX = 20
/** read back a little more than HISTORY_HOURS, so the ping before the window's first one is known */
const REPLAY_MARGIN_MS = 10 * 60_000

/**
 * The composition root: every part of the service, built from the validated settings and wired
 * here, in one place. Building starts nothing (no timers, no pings, no connections); `start()` does.
 *
 * The data path: the monitor's cycle → `pipeline` (its stages are listed below, in order) → and, from
 * the device state stage, each state change → `onStateChanges`.
 */
export function createService (opts: ServiceOptions): Service {
  const { config: c, log } = opts
  const clock = opts.clock
  const now = clock === undefined ? Date.now : () => clock.now()
  const shutdown = shutdownBudget(c)

  const backend = resolveBackend(c.PING_BACKEND, c.FPING_COMMAND)
  const pingEngine = new PingEngine({
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
    onError: (err) => log.error({ err: err.message }, 'ping worker thread failed')
  })
  log.info({ backend, setting: c.PING_BACKEND, program: pingEngine.program, max_processes: c.USE_MULTI_PING ? c.MAX_PING_WORKERS : 1 }, 'ping backend chosen')

  const resultWriter = new CsvWriter({
    dir: c.CSV_OUTPUT_DIR,
    maxRecords: c.MAX_CSV_RECORDS,
    retentionDays: c.CSV_RETENTION_DAYS,
    bufferMaxRows: c.CSV_BUFFER_MAX_ROWS,
    log
  })
  const alerts = createAlerts({
    config: c,
    urls: opts.settings.webhookUrls,
    channels: opts.settings.channels,
    // templates and location/type filters read the device's facts; inventory is built just below
    deviceOf: deviceLookup(() => inventory.devices()),
    userAgent: `multi-ping-monitor/${opts.version}`,
    log
  })
  const history = new HistoryStore({ hours: c.HISTORY_HOURS, intervalSeconds: c.PING_INTERVAL })
  const latest = new LatestStatus()

  const { inventory, close: closeInventory } = createInventory({
    config: c,
    shard: opts.shard,
    onOtherShardRows: (n) => { opts.shard.otherShardRows = n },
    onChange: (devices) => pipeline.inventory(devices),
    log
  })

  // locations (issue 13): one alert per site, `unreachable` behind down uplinks, /api/ping/groups.
  // maintenanceOf is the one place maintenance comes from (the maintenance module, made below: called
  // only once cycles run, after it exists)
  const maintenanceOf = (d: Device): MaintenanceStatus => maintenance.statusOf(d)
  const sites = createSites({ config: c, log, stateOf: (id) => deviceStates.state(id), maintenanceOf })

  /** What happens to each live state change: appended to the event files, alerted, logged. */
  const onStateChanges = (changes: StateEvent[]): void => {
    // the site verdicts first: they decide which device changes still get a message of their own
    const site = sites.onChanges(changes, changes.reduce((at, e) => Math.max(at, e.at), 0))
    const events = site.events
    deviceStates.eventLog.write(events.map((e) => ({ row: toEventRow(e), at: e.at }))).catch(() => {})
    // one routing order: the site rule decides which changes get a message of their own, the maintenance
    // gate holds back those of devices in maintenance (still recorded above) and learns what the site
    // messages told the receivers, then the channels send
    alerts.notify(maintenance.gate(site.alert, site.covered))
    if (site.notices.length > 0) alerts.send(site.notices)
    if (events.length <= LOG_EACH_MAX) {
      for (const e of events) log.info({ device_id: e.device_id, ip: e.ip_address, from: e.from, to: e.to, reason: e.reason }, 'device state changed')
    } else {
      const counts: Record<string, number> = {}
      for (const e of events) counts[e.to] = (counts[e.to] ?? 0) + 1
      log.info({ devices: events.length, to: counts }, 'device states changed')
    }
  }
  const deviceStates = createDeviceStates({
    config: c,
    log,
    devices: () => inventory.devices(),
    inventoryLoaded: () => inventory.status().loaded,
    onChanges: onStateChanges
  })
  const maintenance = createMaintenance({
    config: c,
    log,
    now,
    devices: () => inventory.devices(),
    inventoryLoaded: () => inventory.status().loaded,
    stateOf: (id) => deviceStates.get(id),
    rebuilding: () => deviceStates.rebuilding(),
    alerts
  })
  latest.setStateLookup((id) => {
    const s = deviceStates.summary(id)
    return s.state === 'down' ? { ...s, state: sites.shownState(id, 'down') } : s
  })
  latest.setMaintenanceLookup(maintenanceOf)

  let collectedAfterStart = false
  const startupCollection = (when: string) => {
    const rss = process.memoryUsage.rss()
    const ms = fullCollection()
    if (ms !== null) log.info({ when, duration_ms: ms, rss_mb_before: Math.round(rss / 1048576), rss_mb_after: Math.round(process.memoryUsage.rss() / 1048576) }, 'full garbage collection of the start-up')
  }

  // cluster mode: each cycle pings the partitions this instance owns in the cycle's slot
  const cluster = c.CLUSTER_MODE === 'nats' ? createCluster(c, log, (d) => deviceFacts(d, maintenanceOf), history) : null
  let cycleSlot = 0
  let cycleDevices: Device[] = []
  const monitor = new Monitor({
    intervalMs: c.PING_INTERVAL * 1000,
    stopGraceMs: shutdown.cycleGraceMs,
    alignToInterval: cluster !== null,
    devices: (slot) => {
      if (cluster === null) return inventory.devices()
      cycleSlot = slot
      cycleDevices = cluster.devicesFor(inventory.devices(), slot)
      return cycleDevices
    },
    ping: (targets, signal) => pingEngine.pingColumns(targets, signal),
    onCycle: async (cycle, info) => {
      await pipeline.cycle(cycle, info)
      // the first cycle after the read-back of earlier results: its garbage goes at once (heap-settings.ts)
      if (!collectedAfterStart && !pipeline.isReplaying) {
        collectedAfterStart = true
        setImmediate(() => { startupCollection('after the first cycle') })
      }
    },
    log,
    ...(opts.clock !== undefined ? { clock: opts.clock } : {})
  })

  const metrics = createMetrics({
    cycles: () => monitor.status().cycles,
    overruns: () => monitor.status().overruns,
    lastCycleDurationMs: () => monitor.status().last_cycle?.duration_ms ?? 0,
    csvWriteErrors: () => resultWriter.status().write_errors,
    devices: () => inventory.status().devices,
    skippedRows: () => inventory.status().skipped_rows,
    otherShardRows: () => opts.shard.otherShardRows,
    inventoryLoadedAt: () => {
      const at = inventory.status().last_loaded_at
      return at === null ? null : Date.parse(at)
    },
    shard: opts.shard,
    now,
    locationGroups: () => sites.groups('location'),
    ...(opts.frontDoor !== undefined ? { frontDoor: opts.frontDoor } : {}),
    ...(cluster !== null ? { collectors: [clusterMetrics(cluster)] } : {})
  })

  // outages, rollups, shift reports; issue 13 passes maintenanceOf / causeOf / overdue here
  const availability = createAvailabilityParts({
    config: c,
    log,
    now,
    inventory,
    deviceStates,
    monitor,
    resultWriter,
    alerts,
    // issue 13's facts: maintenance time is counted apart, a device of a location that is down is out
    // because of its site, overdue maintenance goes into the shift reports
    maintenanceOf: (id) => maintenance.isActive(id),
    causeOf: (id, category) => {
      if (category === 'unreachable') return 'unreachable'
      const loc = sites.device(id)?.location.id ?? null
      return loc !== null && sites.downSites().some((s) => s.location.id === loc) ? 'site' : 'down'
    },
    overdue: () => maintenance.overdue().map((d) => ({ device_id: d.device_id, hostname: d.hostname, ip_address: d.ip_address, location: d.location, until: d.maintenance_until ?? '' })),
    // hours rebuilt from CSV: time inside a stored window (those over are kept a week) is maintenance
    maintenanceWindows: () => maintenance.storedWindows()
  })

  // ── The data path: what happens to every finished cycle, replayed history batch and inventory
  // change, in this order. "Ordered" stages get live cycles that finish during the read-back only
  // after it, so that each device's results reach them in time order.
  const stages: Stage[] = [
    {
      // the last HISTORY_HOURS of results, for /device, /statistics, /timeline and /overview
      name: 'history',
      ordered: true,
      cycle: (cycle) => history.addCycle(cycle),
      replayBatch: (b, strings) => history.addBatch(b, strings)
    },
    // cluster mode: a device whose partition came here from another owner takes over that owner's
    // verdict first, so that a device it alerted down is not alerted down again here
    ...(cluster === null
      ? []
      : [{
        name: 'cluster hand-over states',
        ordered: true,
        cycle: (cycle) => {
          // cold (cluster mode only): the rows, made once per cycle and shared with the results stream
          const adopted = cluster.handover.adoptBefore(cycle.rowsOnce(), deviceStates)
          if (adopted.length > 0) {
            log.info({ devices: adopted.length }, 'cluster: device states taken over from their previous owner')
            // taken over without a state change: the site watch reads just these devices' states again
            sites.refreshStates(adopted)
          }
        },
        inventory: (devices) => cluster.handover.retain(new Set(devices.map((d) => d.device_id)))
      } satisfies Stage]),
    // up/down/flapping per device; its changes go to onStateChanges (event files, alerts, log)
    deviceStates.stage,
    // after the device states: a device that leaves maintenance down (window over, kondisi changed,
    // date passed) gets its down alert here; also the daily overdue notice
    maintenance.stage,
    {
      // the groups of /api/ping/groups show this cycle's states (computed when first asked for)
      name: 'sites',
      cycle: () => sites.cycle(),
      replayDone: () => sites.setDevices(inventory.devices()),
      inventory: (devices) => sites.setDevices(devices)
    },
    // outages and hourly rollups (ordered: reads the state just given to each result), then the
    // shift reports' clock
    availability.stage,
    availability.reportStage,
    {
      // /latest and /status: after the device state, whose verdict they show (answers are prepared
      // when first asked for: a cycle nobody reads costs nothing)
      name: 'latest status',
      cycle: (cycle) => {
        // cluster mode: the local view (?scope=local) is the devices this instance pinged in this cycle
        if (cluster !== null) latest.setDevices(cycleDevices)
        latest.update(cycle)
      },
      replayDone: () => { if (cluster === null) latest.setDevices(inventory.devices()) },
      inventory: (devices) => { if (cluster === null) latest.setDevices(devices) }
    },
    ...(cluster === null
      ? []
      : [{
        // every cycle's results to the results stream (one message per partition), for the fleet-wide view
        name: 'cluster results',
        cycle: (cycle) => {
          cluster.cycleDone(cycleSlot, cycle.rowsOnce(), deviceStates.summary)
          cluster.countMissed(inventory.devices())
        },
        inventory: (devices) => cluster.fleet.setDevices(devices)
      } satisfies Stage]),
    {
      name: 'metrics',
      cycle: (cycle) => {
        // cluster mode: per-device series only for the devices pinged here, so that a device handed
        // over has one series (its new owner's), not a stale one left on its old owner
        if (cluster !== null) metrics.setDevices(cycleDevices)
        metrics.addCycle(cycle)
      },
      inventory: (devices) => metrics.setDevices(devices)
    },
    {
      // last, and never waited for: the writer orders and retries on its own, and a slow disk must
      // not hold up the next cycle
      name: 'csv',
      cycle: (cycle) => { resultWriter.writeRun(cycleCsvRun(cycle)).catch(() => {}) }
    }
  ]
  const pipeline = new ResultPipeline(stages, { log })

  let pingProgram: PingProgramCheck | null = null
  let stopping: Promise<void> | null = null

  /** results from before a restart: everything before `started` comes from the files, after it from live cycles */
  const replayHistory = (started: number): void => {
    let rows = 0
    const progress = setInterval(() => log.info({ rows, elapsed_s: Math.round((now() - started) / 1000) }, 'reading earlier results back'), 5000)
    let malformed = 0
    // parsed in a worker thread; the batches are applied here, between requests and live cycles
    readHistory({ dir: c.CSV_OUTPUT_DIR, fromMs: started - c.HISTORY_HOURS * 3_600_000 - REPLAY_MARGIN_MS, toMs: started - 1 }, (batch, strings) => {
      rows += batch.n
      pipeline.replayBatch(batch, strings)
    })
      .then((r) => {
        malformed = r.malformed
        for (const d of r.last) {
          if (d.lastOk !== null) latest.seed(d.lastOk.row, d.lastOk.at)
          latest.seed(d.last, d.at)
        }
      })
      .catch((err) => log.warn({ err: err.message }, 'could not read earlier results back'))
      .finally(() => {
        clearInterval(progress)
        pipeline.endReplay()
        log.info({ rows, malformed, duration_ms: now() - started }, 'earlier results read back')
      })
  }

  return {
    config: c,
    cluster,
    inventory,
    pingEngine,
    resultWriter,
    monitor,
    latest,
    history,
    deviceStates,
    alerts,
    maintenance,
    metrics,
    sites,
    pipeline,
    availability,
    shutdown,
    pingProgram: () => pingProgram,
    historyLoading: () => pipeline.isReplaying,

    start: async () => {
      try {
        await resultWriter.init()
      } catch (err: any) {
        log.error({ dir: c.CSV_OUTPUT_DIR, err: err.message }, 'cannot prepare the CSV directory; results stay in memory until it works')
      }
      // checks the backend in use through the pool itself (so it also starts a worker thread); with
      // PING_BACKEND=auto an fping that cannot ping falls back to ping here
      pingProgram = await pingEngine.checkProgram()
      // start every worker thread now, so that the first cycle does not pay for thread start-up
      await pingEngine.pingAll(Array.from({ length: pingEngine.threads }, (_, i) => ({ target: `127.0.0.${i + 1}`, family: 4 as const })))
        .catch((err) => log.warn({ err: err.message }, 'ping pool warm-up failed'))
      if (pingProgram.usable) log.info({ backend: pingEngine.backend, program: pingProgram.command }, 'ping engine ready')
      else log.error({ backend: pingEngine.backend, program: pingProgram.command, err: pingProgram.error }, 'the ping program is missing or unusable: every device will be reported down with this reason (install iputils-ping and fping)')
      maintenance.load()
      await inventory.start()
      log.info({ source: inventory.status().source }, c.DB_CONNECTION === 'sqlite'
        ? 'using the embedded inventory; set DB_CONNECTION=mysql and DB_* settings to read the inventaris table from MySQL/MariaDB'
        : 'using the MySQL/MariaDB inventory')
      availability.start()
      if (cluster !== null) {
        await cluster.start()
        cluster.fleet.setDevices(inventory.devices())
        log.info({ instance_id: cluster.me, partitions: c.CLUSTER_PARTITIONS }, 'cluster mode: partitions are handed out through NATS JetStream')
      }
      // the inventory's load is garbage now: the first cycle starts from the live heap (heap-settings.ts)
      startupCollection('before the first cycle')
      const started = now()
      pipeline.startReplay()
      monitor.start()
      replayHistory(started)
    },

    // The one shutdown order: no cycle may bring changes after the device states close, and no
    // state change may reach the alerts after they close; the writers drain last but the database.
    stop: () => {
      stopping ??= (async () => {
        // cluster mode: hand the partitions over at a cycle boundary while still pinging them
        if (cluster !== null && monitor.status().running) await cluster.drain(clusterDrainMs(c)).catch((err) => log.warn({ err: err.message }, 'cluster: hand-over failed'))
        await monitor.stop()
        await cluster?.stop()
        await deviceStates.close()
        await maintenance.settled()
        await sites.close()
        await availability.stop().catch((err) => log.error({ err: err.message }, 'could not close the availability store'))
        await alerts.close(shutdown.alertsMs)
        await pingEngine.close()
        await resultWriter.close()
        const left = resultWriter.status().pending_rows
        if (left > 0) log.error({ rows: left }, 'results that could not be written to CSV before exit are lost')
        await closeInventory()
      })()
      return stopping
    }
  }
}
