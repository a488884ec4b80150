import { join } from 'node:path'
import type { Alerts } from '../alerts/alerts.js'
import type { OverdueNotice } from '../alerts/notice.js'
import type { Config } from '../config/env-schema.js'
import { NotStored, TooManyWindows, UnknownWindow } from '../errors.js'
import type { Device } from '../inventory/filter-inventory.js'
import { formatLocalIso, localDateKey } from '../lib/local-time.js'
import type { Log } from '../lib/log.js'
import type { Stage } from '../pipeline.js'
import { NOT_IN_MAINTENANCE, type MaintenanceStatus } from '../schemas/device-facts.js'
import type { MaintenanceSummary, WindowRequest, WindowView } from '../schemas/maintenance.js'
import type { DeviceStateSnapshot, StateEvent } from '../state/device-state.js'
import { AlertGate } from './alert-gate.js'
import { cachedEndOfDay, compileWindow, isWindowActive, maintenanceStatus, nextBoundary, sharedStatuses, type MaintenanceWindow } from './maintenance-rule.js'
import { planWindow } from './window-request.js'
import { WindowStore, type WindowStoreStatus } from './window-store.js'

/** most active and future windows at once */
export const WINDOWS_MAX = 1000

export interface MaintenanceOptions {
  config: Pick<Config, 'CSV_OUTPUT_DIR' | 'MAINTENANCE_FILE' | 'MAINTENANCE_OVERDUE_HOUR'>
  log: Log
  now: () => number
  devices: () => Device[]
  inventoryLoaded: () => boolean
  /** the device's tracked state (up/down/…), for the alert owed when its maintenance ends */
  stateOf: (deviceId: number) => DeviceStateSnapshot | undefined
  /** true while device states are rebuilt at start: their verdicts wait until it is over */
  rebuilding: () => boolean
  alerts: Pick<Alerts, 'notify' | 'send'>
}

export interface DeviceInMaintenance {
  device_id: number
  ip_address: string
  hostname: string
  maintenance: MaintenanceStatus
}

export interface Maintenance {
  /** The device's maintenance status now (for every device row of the API). O(1). */
  statusOf: (device: Device) => MaintenanceStatus
  /**
   * For many rows at once (one answer of /status, /latest...): the statuses as of now, looked up by
   * device id without re-checking the clock per row. Take one per answer, not one per service.
   */
  statusLookup: () => (deviceId: number) => MaintenanceStatus
  /** Whether the device is in maintenance now (kondisi or window, overdue included): no alerts for it. O(1). */
  isActive: (deviceId: number) => boolean
  /**
   * The state changes of one cycle that may be alerted (src/service.ts onStateChanges); `covered`, the
   * changes a site message told the receivers, are remembered as told.
   */
  gate: (events: StateEvent[], covered?: StateEvent[]) => StateEvent[]
  /** The pipeline stage: the per-cycle check (maintenance that ended, the daily overdue notice), inventory changes. */
  stage: Stage
  /** Active and future windows, soonest first. */
  windows: () => WindowView[]
  /** Every stored window, those over included (kept AUDIT_KEEP_MS after their end): the availability rebuild counts past maintenance from them. */
  storedWindows: () => MaintenanceWindow[]
  /** Stores a window (400 BadMaintenance for a bad request, 503 NotStored when the file cannot be written). */
  create: (req: WindowRequest) => Promise<WindowView>
  /** Ends a window now (404 UnknownWindow when there is no such active or future window). */
  end: (id: number) => Promise<WindowView>
  summary: () => MaintenanceSummary
  /** Devices in maintenance now, in device order, at most `limit`. */
  devices: (limit: number) => { devices: DeviceInMaintenance[], omitted: number }
  /** Overdue devices now (kondisi maintenance after its day). */
  overdue: () => Device[]
  store: () => WindowStoreStatus
  /** Reads the window file (at service start; also done lazily by the first use). */
  load: () => void
  /** Resolves when every file write asked for so far is done. */
  settled: () => Promise<void>
}

export const maintenanceFile = (c: MaintenanceOptions['config']): string => c.MAINTENANCE_FILE ?? join(c.CSV_OUTPUT_DIR, 'maintenance_windows.json')

/**
 * Who is in maintenance, kept as a map recomputed only when something can have changed it: the
 * inventory, the windows, or a boundary time (a window start or end, the end of a kondisi day). A
 * cycle costs a comparison with the next boundary; the alert gate and the device rows cost a lookup.
 */
export function createMaintenance (opts: MaintenanceOptions): Maintenance {
  const { log, now } = opts
  const store = new WindowStore(maintenanceFile(opts.config), log)
  const gate = new AlertGate()
  let loaded = false
  let entries = new Map<number, MaintenanceStatus>()
  let overdueDevices: Device[] = []
  let counts: MaintenanceSummary = { active_windows: 0, future_windows: 0, devices_in_maintenance: 0, by_kondisi: 0, by_window: 0, overdue: 0 }
  let boundary = -Infinity
  let dirty = true
  /**
   * the inventory list last seen: every reload makes a new one, while the pipeline hears only of
   * changes of id, address or name, so a kondisi, date, location or type change is noticed here
   */
  let seenDevices: Device[] | null = null
  /** devices that left maintenance while states were rebuilt: their alert waits for the verdict */
  const pendingRelease = new Set<number>()
  let announcedDay: string | null = null

  const load = () => {
    if (loaded) return
    loaded = true
    store.load(now())
    announcedDay = store.overdueAnnouncedDay()
    dirty = true
  }

  const liveWindows = (t: number) => store.windows().filter((w) => w.end > t)

  const release = (ids: Iterable<number>, t: number) => {
    const events = gate.released(ids, opts.stateOf, t)
    if (events.length === 0) return
    log.info({ devices: events.length, device_ids: events.slice(0, 20).map((e) => e.device_id) }, 'maintenance ended for devices that are down: alerting them now')
    opts.alerts.notify(events)
  }

  /** Recomputes who is in maintenance when something may have changed; alerts the devices that left it. */
  const refresh = (t: number) => {
    load()
    const devices = opts.devices()
    if (!dirty && t < boundary && devices === seenDevices) return
    dirty = false
    seenDevices = devices
    const windows = liveWindows(t)
    const compiled = windows.filter((w) => isWindowActive(w, t)).map(compileWindow)
    const endOf = cachedEndOfDay()
    const make = sharedStatuses()
    const next = new Map<number, MaintenanceStatus>()
    const overdue: Device[] = []
    let byKondisi = 0
    for (const d of devices) {
      if (d.kondisi !== 'maintenance' && compiled.length === 0) continue
      const status = maintenanceStatus(d, t, compiled, endOf, make)
      if (!status.active) continue
      next.set(d.device_id, status)
      if (status.source === 'kondisi') byKondisi++
      if (status.overdue) overdue.push(d)
    }
    const left: number[] = []
    for (const id of entries.keys()) if (!next.has(id)) left.push(id)
    const active = compiled.length
    counts = { active_windows: active, future_windows: windows.length - active, devices_in_maintenance: next.size, by_kondisi: byKondisi, by_window: next.size - byKondisi, overdue: overdue.length }
    entries = next
    overdueDevices = overdue
    boundary = nextBoundary(devices, windows, t, endOf)
    if (left.length === 0) return
    if (opts.rebuilding()) {
      for (const id of left) pendingRelease.add(id)
    } else {
      release(left, t)
    }
  }

  const announceOverdue = (t: number) => {
    if (overdueDevices.length === 0 || !opts.inventoryLoaded()) return
    const day = localDateKey(t)
    if (day === announcedDay || new Date(t).getHours() < opts.config.MAINTENANCE_OVERDUE_HOUR) return
    announcedDay = day
    const notice: OverdueNotice = {
      event: 'maintenance_overdue',
      at: t,
      devices: overdueDevices.map((d) => ({ device_id: d.device_id, ip_address: d.ip_address, hostname: d.hostname, location: d.location, until: d.maintenance_until ?? '' }))
    }
    log.info({ devices: overdueDevices.length, day }, 'announcing devices whose maintenance is overdue')
    opts.alerts.send([notice])
    // remembered in memory at once (no second notice today even if the write fails), on disk for a restart
    store.setOverdueAnnouncedDay(day, t).catch(() => {})
  }

  const tick = () => {
    const t = now()
    refresh(t)
    if (pendingRelease.size > 0 && !opts.rebuilding()) {
      const ids = [...pendingRelease].filter((id) => !entries.has(id))
      pendingRelease.clear()
      release(ids, t)
    }
    announceOverdue(t)
  }

  /** After a restart, the receivers' last word is not known: states rebuilt as down were alerted then, unless in maintenance since before. */
  const seedAfterRebuild = () => {
    const t = now()
    refresh(t)
    const compiled = liveWindows(t).filter((w) => isWindowActive(w, t)).map(compileWindow)
    for (const d of opts.devices()) {
      const s = opts.stateOf(d.device_id)
      if (s?.state !== 'down') continue
      const e = entries.get(d.device_id)
      if (e === undefined) {
        gate.seed(d.device_id)
        continue
      }
      // in a window only: down since before the window's start means it was alerted before the window
      // (by kondisi, the start of the maintenance is not known: it will be alerted when it ends)
      if (e.source !== 'window' || s.down_since === null) continue
      let start = Infinity
      for (const w of compiled) if (w.window.start < start && w.covers(d)) start = w.window.start
      if (s.down_since < start) gate.seed(d.device_id)
    }
  }

  const view = (w: MaintenanceWindow, t: number): WindowView => ({
    id: w.id,
    scope: w.scope,
    start: formatLocalIso(w.start),
    end: formatLocalIso(w.end),
    reason: w.reason,
    created_at: formatLocalIso(w.created_at),
    ended_at: w.ended_at === null ? null : formatLocalIso(w.ended_at),
    active: isWindowActive(w, t)
  })

  return {
    statusOf: (device) => {
      refresh(now())
      return entries.get(device.device_id) ?? NOT_IN_MAINTENANCE
    },
    statusLookup: () => {
      refresh(now())
      const current = entries
      return (id) => current.get(id) ?? NOT_IN_MAINTENANCE
    },
    isActive: (id) => {
      refresh(now())
      return entries.has(id)
    },
    gate: (events, covered) => {
      refresh(now())
      return entries.size === 0 ? gate.pass(events, () => false, covered) : gate.pass(events, (id) => entries.has(id), covered)
    },
    stage: {
      name: 'maintenance',
      cycle: () => tick(),
      replayDone: () => seedAfterRebuild(),
      inventory: (devices) => {
        dirty = true
        if (gate.size > 0) gate.retain(new Set(devices.map((d) => d.device_id)))
        refresh(now())
      }
    },
    windows: () => {
      load()
      const t = now()
      return liveWindows(t).sort((a, b) => a.start - b.start || a.id - b.id).map((w) => view(w, t))
    },
    storedWindows: () => {
      load()
      // a copy: the rebuild's worker gets it as a message, and the store's own list stays its own
      return [...store.windows()]
    },
    create: async (req) => {
      load()
      const t = now()
      const planned = planWindow(req, t)
      if (liveWindows(t).length >= WINDOWS_MAX) throw new TooManyWindows(WINDOWS_MAX)
      let w: MaintenanceWindow
      try {
        w = await store.add(planned, t)
      } catch {
        throw new NotStored()
      }
      log.info({ window: w.id, scope: w.scope, start: formatLocalIso(w.start), end: formatLocalIso(w.end) }, 'maintenance window made')
      dirty = true
      refresh(now())
      return view(w, now())
    },
    end: async (id) => {
      load()
      let w: MaintenanceWindow | null
      try {
        w = await store.end(id, now())
      } catch {
        throw new NotStored()
      }
      if (w === null) throw new UnknownWindow(id)
      log.info({ window: w.id }, 'maintenance window ended')
      dirty = true
      refresh(now())
      return view(w, now())
    },
    summary: () => {
      refresh(now())
      return counts
    },
    devices: (limit) => {
      refresh(now())
      const out: DeviceInMaintenance[] = []
      if (entries.size > 0) {
        for (const d of opts.devices()) {
          if (out.length >= limit) break
          const status = entries.get(d.device_id)
          if (status !== undefined) out.push({ device_id: d.device_id, ip_address: d.ip_address, hostname: d.hostname, maintenance: status })
        }
      }
      return { devices: out, omitted: entries.size - out.length }
    },
    overdue: () => {
      refresh(now())
      return overdueDevices
    },
    store: () => store.status(),
    load,
    settled: () => store.settled()
  }
}
