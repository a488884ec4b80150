import type { Config } from '../config/env-schema.js'
import type { Device } from '../inventory/filter-inventory.js'
import { formatLocalIso } from '../lib/local-time.js'
import type { Log } from '../lib/log.js'
import type { DeviceStateSummary } from '../monitor/latest-status.js'
import type { Stage } from '../pipeline.js'
import type { AdoptedState, DeviceState, DeviceStateSnapshot, StateEvent } from './device-state.js'
import { EventLog, scanEvents } from './event-log.js'
import type { EventRow } from './event-row.js'
import { StateFeed } from './state-feed.js'
import { StateTable } from './state-table.js'

export interface DeviceStates {
  /** The device's state, or undefined when it has no result yet (or left the inventory). */
  get: (deviceId: number) => DeviceStateSnapshot | undefined
  /** state and down_since read in place, no snapshot built (availability's per-result read) */
  view: (deviceId: number) => { readonly state: DeviceState, readonly down_since: number | null } | undefined
  /** The machine's verdict alone, without building a snapshot (for per-cycle passes over every device). */
  state: (deviceId: number) => DeviceState | undefined
  /** true while the states are rebuilt from the CSV files at start */
  rebuilding: () => boolean
  /** Stored state changes in [fromMs, toMs], oldest first, including any not written yet. */
  events: (fromMs: number, toMs: number, deviceId?: number) => Promise<EventRow[]>
  eventLog: EventLog
  /** What /status and /latest show of each device's state. */
  summary: (deviceId: number) => DeviceStateSummary
  /** epoch ms of the device's last result applied here (or adopted), null when none */
  lastResultAt: (deviceId: number) => number | null
  /**
   * Cluster mode: takes over the verdict another instance published for a device whose partition
   * this instance now pings, without an event (it was reported by that instance).
   */
  adopt: (deviceId: number, ip: string, hostname: string, state: AdoptedState) => boolean
  /** The pipeline stage: ordered, since a state is the fold of a device's results in time order. */
  stage: Stage
  /** No change is reported after this; writes what is left of the event log. */
  close: () => Promise<void>
}

export interface DeviceStatesOptions {
  config: Config
  log: Log
  /** the monitored devices: states of the others are dropped */
  devices: () => Device[]
  /** the inventory was loaded at least once (before that, no state is dropped) */
  inventoryLoaded: () => boolean
  /** one live cycle's state changes, in result order (never for read-back history) */
  onChanges: (events: StateEvent[]) => void
}

const EVENT_BUFFER_MAX = 100_000
const UNKNOWN: DeviceStateSummary = { state: 'unknown', consecutive_failures: 0, down_since: null }

/**
 * Device state (up/down/flapping) from the cycles' results: rebuilt from the CSV files at start,
 * then fed live. Changes found while rebuilding were already reported when they happened and are not
 * repeated; live ones go to `onChanges` (the service appends them to state_events_YYYYMMDD.csv and
 * hands them to the alerts).
 */
export function createDeviceStates (opts: DeviceStatesOptions): DeviceStates {
  const c = opts.config
  const table = new StateTable({
    downAfterFailures: c.DOWN_AFTER_FAILURES,
    upAfterSuccesses: c.UP_AFTER_SUCCESSES,
    flapChanges: c.FLAP_CHANGES,
    flapWindow: c.FLAP_WINDOW
  })
  const eventLog = new EventLog({ dir: c.CSV_OUTPUT_DIR, retentionDays: c.CSV_RETENTION_DAYS, bufferMax: EVENT_BUFFER_MAX, log: opts.log })
  let closed = false
  const feed = new StateFeed(table, { onLiveEvents: (events) => { if (!closed) opts.onChanges(events) } })

  const retainInventory = () => {
    const removed = table.retain(new Set(opts.devices().map((d) => d.device_id)))
    if (removed > 0) opts.log.debug?.({ removed }, 'dropped the state of devices that left the inventory')
  }

  return {
    get: (id) => table.get(id)?.snapshot(),
    view: (id) => table.get(id),
    state: (id) => feed.isReplaying ? undefined : table.stateOf(id),
    rebuilding: () => feed.isReplaying,
    lastResultAt: (id) => table.get(id)?.lastAt ?? null,
    adopt: (id, ip, hostname, state) => table.adopt(id, ip, hostname, state),
    eventLog,
    summary: (id) => {
      // half-rebuilt states (yesterday's, for a while) would mislead: no verdict until the read-back is done
      if (feed.isReplaying) return UNKNOWN
      const m = table.get(id)
      if (m === undefined) return UNKNOWN
      const since = m.downSinceAt
      return { state: m.state, consecutive_failures: m.consecutiveFailures, down_since: since === null ? null : formatLocalIso(since) }
    },
    events: async (fromMs, toMs, deviceId) => {
      await eventLog.settled()
      const out: EventRow[] = []
      await scanEvents({ dir: c.CSV_OUTPUT_DIR, fromMs, toMs, deviceId }, (row) => { out.push(row) })
      for (const row of eventLog.unwritten()) {
        const at = Date.parse(row.at)
        if (at >= fromMs && at <= toMs && (deviceId === undefined || row.device_id === deviceId)) out.push(row)
      }
      return out
    },
    stage: {
      name: 'device state',
      ordered: true,
      cycle: (cycle) => feed.liveColumns(cycle),
      replayStart: () => feed.startReplay(),
      replayBatch: (b, strings) => feed.replayBatch(b, strings),
      replayDone: () => {
        const r = feed.endReplay()
        if (opts.inventoryLoaded()) retainInventory()
        opts.log.info({ rows: r.rows, changes: r.changes, devices: table.size }, 'device states rebuilt from earlier results')
      },
      inventory: () => retainInventory()
    },
    close: async () => {
      closed = true
      await eventLog.close()
      const left = eventLog.status().pending_events
      if (left > 0) opts.log.error({ events: left }, 'state events that could not be written before exit are lost')
    }
  }
}
