import type { Notice } from '../alerts/notice.js'
import type { Config } from '../config/env-schema.js'
import type { Device } from '../inventory/filter-inventory.js'
import type { Log } from '../lib/log.js'
import type { MaintenanceStatus } from '../schemas/device-facts.js'
import type { DeviceState, StateEvent } from '../state/device-state.js'
import { GroupIndex, GroupsCache, STATE_CODE, type Group, type GroupBy } from './groups.js'
import { SiteEventLog } from './site-event-log.js'
import { SiteWatch, type DownSite, type SiteOutcome, type SiteSettings } from './site-watch.js'

export interface SitesOptions {
  config: Pick<Config, 'SITE_DOWN_MIN' | 'SITE_DOWN_RATIO' | 'UPLINK_TYPE_IDS' | 'CSV_OUTPUT_DIR' | 'CSV_RETENTION_DAYS'>
  log: Log
  /** the state machine's verdict of a device (undefined: no result yet) */
  stateOf: (deviceId: number) => DeviceState | undefined
  maintenanceOf: (device: Device) => MaintenanceStatus
}

export interface Sites {
  /** One live cycle's state changes → what to log/store, what to alert, the site notices (stored here). */
  onChanges: (events: StateEvent[], at: number) => SiteOutcome & { notices: Notice[] }
  /** the monitored devices changed */
  setDevices: (devices: Device[]) => void
  /** these devices' states changed without a state change event (SiteWatch.refreshStates) */
  refreshStates: (deviceIds: number[]) => void
  /** a cycle changed what the groups show */
  cycle: () => void
  /** the state shown of a device: 'unreachable' for a down device behind down uplinks */
  shownState: (deviceId: number, raw: DeviceState) => DeviceState
  groups: (by: GroupBy) => Group[]
  downSites: () => DownSite[]
  /** a monitored device by id */
  device: (deviceId: number) => Device | undefined
  maintenanceOf: (device: Device) => MaintenanceStatus
  eventLog: SiteEventLog
  close: () => Promise<void>
}

/** UPLINK_TYPE_IDS ("2, 5") as a set of type ids (the schema's pattern already checked it). */
export function parseTypeIds (s: string): Set<number> {
  return new Set(s.split(',').map((x) => x.trim()).filter((x) => x !== '').map(Number))
}

export function siteSettings (c: SitesOptions['config']): SiteSettings {
  return { minDown: c.SITE_DOWN_MIN, ratio: c.SITE_DOWN_RATIO, uplinkTypeIds: parseTypeIds(c.UPLINK_TYPE_IDS) }
}

/**
 * What the groups count, by device index of the watch's list: the state shown (STATE_CODE, `unreachable`
 * behind down uplinks) and 1 for a device in maintenance. Once per cycle, for all three groupings.
 */
export function shownStates (watch: SiteWatch, maintenanceOf: (device: Device) => MaintenanceStatus): { states: Uint8Array, maint: Uint8Array } {
  const { devices: list, raw } = watch.rawStates()
  const states = new Uint8Array(raw)
  const maint = new Uint8Array(list.length)
  for (let i = 0; i < list.length; i++) {
    if (states[i] === STATE_CODE.down && watch.shownState(list[i].device_id, 'down') === 'unreachable') states[i] = STATE_CODE.unreachable
    maint[i] = maintenanceOf(list[i]).active ? 1 : 0
  }
  return { states, maint }
}

/** Locations as the operators see them: site alerts, unreachable devices, the groups of /api/ping/groups. */
export function createSites (opts: SitesOptions): Sites {
  const settings = siteSettings(opts.config)
  const watch = new SiteWatch({ settings, stateOf: opts.stateOf, maintenanceOf: opts.maintenanceOf })
  const eventLog = new SiteEventLog({ dir: opts.config.CSV_OUTPUT_DIR, retentionDays: opts.config.CSV_RETENTION_DAYS, log: opts.log })
  let index = new GroupIndex([])
  // the shown state and maintenance of every device, filled once per cycle for all three groupings
  let filled: { states: Uint8Array, maint: Uint8Array } | null = null
  const groups = new GroupsCache((by) => {
    filled ??= shownStates(watch, opts.maintenanceOf)
    return index.compute(by, filled.states, filled.maint, settings)
  })
  const invalidate = () => {
    filled = null
    groups.invalidate()
  }
  return {
    onChanges: (events, at) => {
      const out = watch.onChanges(events, at)
      if (out.notices.length > 0) {
        eventLog.write(out.notices).catch(() => {})
        for (const n of out.notices) opts.log.warn({ location_id: n.location.id, location: n.location.name, total: n.total, down: n.down }, n.event === 'site_down' ? 'site down' : 'site back up')
      }
      invalidate()
      return out
    },
    setDevices: (d) => {
      watch.setDevices(d)
      index = new GroupIndex(watch.rawStates().devices)
      invalidate()
    },
    refreshStates: (ids) => {
      watch.refreshStates(ids)
      invalidate()
    },
    cycle: invalidate,
    shownState: (id, raw) => watch.shownState(id, raw),
    groups: (by) => groups.get(by),
    downSites: () => watch.downSites(),
    device: (id) => watch.device(id),
    maintenanceOf: opts.maintenanceOf,
    eventLog,
    close: () => eventLog.close()
  }
}
