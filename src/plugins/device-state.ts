import fp from 'fastify-plugin'
import { formatLocalIso } from '../lib/local-time.js'
import type { DeviceStateSummary } from '../monitor/latest-status.js'
import type { DeviceStateSnapshot, Observation, StateEvent } from '../state/device-state.js'
import { EventLog, scanEvents } from '../state/event-log.js'
import { toEventRow, type EventRow } from '../state/event-row.js'
import { StateFeed } from '../state/state-feed.js'
import { StateTable } from '../state/state-table.js'
import type { ResultRow } from '../storage/result-row.js'

export interface DeviceStates {
  /** The device's state, or undefined when it has no result yet (or left the inventory). */
  get: (deviceId: number) => DeviceStateSnapshot | undefined
  /** true while the states are rebuilt from the CSV files at start */
  rebuilding: () => boolean
  /** Stored state changes in [fromMs, toMs], oldest first, including any not written yet. */
  events: (fromMs: number, toMs: number, deviceId?: number) => Promise<EventRow[]>
  eventLog: EventLog
}

declare module 'fastify' {
  interface FastifyInstance {
    deviceState: DeviceStates
  }
}

/** state changes of one cycle logged one line each up to this many; beyond it, one summary line */
const LOG_EACH_MAX = 20
const EVENT_BUFFER_MAX = 100_000

const observation = (row: ResultRow, at: number): Observation => ({
  device_id: row.device_id,
  ip_address: row.ip_address,
  hostname: row.hostname,
  success: row.ping_success,
  error: row.error_message,
  at
})

/**
 * Device state (up/down/flapping) from the cycles' results: rebuilt from the CSV files at start,
 * then fed live. Every change is appended to state_events_YYYYMMDD.csv and handed to the alerts;
 * changes found while rebuilding were already reported when they happened and are not repeated.
 */
export default fp(async (app) => {
  const c = app.config
  const table = new StateTable({
    downAfterFailures: c.DOWN_AFTER_FAILURES,
    upAfterSuccesses: c.UP_AFTER_SUCCESSES,
    flapChanges: c.FLAP_CHANGES,
    flapWindow: c.FLAP_WINDOW
  })
  const eventLog = new EventLog({ dir: c.CSV_OUTPUT_DIR, retentionDays: c.CSV_RETENTION_DAYS, bufferMax: EVENT_BUFFER_MAX, log: app.log })
  let closed = false

  const onLiveEvents = (events: StateEvent[]) => {
    if (closed) return
    eventLog.write(events.map((e) => ({ row: toEventRow(e), at: e.at }))).catch(() => {})
    app.alerts.notify(events)
    if (events.length <= LOG_EACH_MAX) {
      for (const e of events) app.log.info({ device_id: e.device_id, ip: e.ip_address, from: e.from, to: e.to, reason: e.reason }, 'device state changed')
    } else {
      const counts: Record<string, number> = {}
      for (const e of events) counts[e.to] = (counts[e.to] ?? 0) + 1
      app.log.info({ devices: events.length, to: counts }, 'device states changed')
    }
  }
  const feed = new StateFeed(table, { onLiveEvents })

  const retainInventory = () => {
    const removed = table.retain(new Set(app.inventory.devices().map((d) => d.device_id)))
    if (removed > 0) app.log.debug({ removed }, 'dropped the state of devices that left the inventory')
  }

  app.onCycleResults.push((cycle) => {
    // the start hook of the read-back already holds cycles back; this covers a monitor without it
    if (app.historyLoading()) feed.startReplay()
    feed.live(cycle.rows.map((r) => observation(r.row, r.at)))
    app.latestStatus.invalidate()
  })

  app.onHistoryReplay.push({
    start: () => feed.startReplay(),
    batch: (b, strings) => feed.replayBatch(b, strings),
    done: () => {
      const r = feed.endReplay()
      if (app.inventory.status().loaded) retainInventory()
      app.latestStatus.invalidate()
      app.log.info({ rows: r.rows, changes: r.changes, devices: table.size }, 'device states rebuilt from earlier results')
    }
  })

  app.onInventoryChange.push(() => {
    retainInventory()
    app.latestStatus.invalidate()
  })

  const UNKNOWN: DeviceStateSummary = { state: 'unknown', consecutive_failures: 0, down_since: null }
  app.latestStatus.setStateLookup((id) => {
    // half-rebuilt states (yesterday's, for a while) would mislead: no verdict until the read-back is done
    if (feed.isReplaying) return UNKNOWN
    const m = table.get(id)
    if (m === undefined) return UNKNOWN
    const since = m.downSinceAt
    return { state: m.state, consecutive_failures: m.consecutiveFailures, down_since: since === null ? null : formatLocalIso(since) }
  })

  app.decorate('deviceState', {
    get: (id: number) => table.get(id)?.snapshot(),
    rebuilding: () => feed.isReplaying,
    eventLog,
    events: async (fromMs: number, toMs: number, deviceId?: number) => {
      await eventLog.settled()
      const out: EventRow[] = []
      await scanEvents({ dir: c.CSV_OUTPUT_DIR, fromMs, toMs, deviceId }, (row) => { out.push(row) })
      for (const row of eventLog.unwritten()) {
        const at = Date.parse(row.at)
        if (at >= fromMs && at <= toMs && (deviceId === undefined || row.device_id === deviceId)) out.push(row)
      }
      return out
    }
  })

  app.addHook('onClose', async () => {
    // no cycle may bring changes after this: stop the scheduler first (idempotent; the monitor plugin
    // stops it again later), then write what is left
    await app.monitor.stop()
    closed = true
    await eventLog.drain()
    const left = eventLog.status().pending_events
    if (left > 0) app.log.error({ events: left }, 'state events that could not be written before exit are lost')
  })
}, { name: 'device-state', dependencies: ['config', 'inventory', 'monitor', 'alerts'] })
