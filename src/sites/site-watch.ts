import type { DeviceBrief, SiteNotice } from '../alerts/notice.js'
import type { Device, NamedRef } from '../inventory/filter-inventory.js'
import type { MaintenanceStatus } from '../schemas/device-facts.js'
import type { DeviceState, StateEvent } from '../state/device-state.js'

export interface SiteSettings {
  /** SITE_DOWN_MIN: at least this many devices (not in maintenance) of a location down ... */
  minDown: number
  /** SITE_DOWN_RATIO: ... and at least this share of them: the location is down */
  ratio: number
  /** UPLINK_TYPE_IDS: devices of these types are the uplinks of their location */
  uplinkTypeIds: ReadonlySet<number>
}

export interface SiteWatchOptions {
  settings: SiteSettings
  /** the state machine's verdict (undefined: no result yet); never 'unreachable' */
  stateOf: (deviceId: number) => DeviceState | undefined
  /** the one place maintenance comes from (a placeholder until src/maintenance/ lands) */
  maintenanceOf: (device: Device) => MaintenanceStatus
}

/** What one cycle's state changes become once the locations are taken into account. */
export interface SiteOutcome {
  /** the changes to log and store: 'down' behind down uplinks is 'unreachable', plus the changes the uplinks caused */
  events: StateEvent[]
  /** the device changes still worth a message of their own */
  alert: StateEvent[]
  /** one per location that went down or came back */
  notices: SiteNotice[]
}

export interface DownSite {
  location: NamedRef
  total: number
  down: number
  /** epoch ms of the cycle that found it down */
  since: number
}

interface Place {
  ref: NamedRef
  devices: Device[]
  uplinks: Device[]
}

const brief = (d: Device): DeviceBrief => ({ device_id: d.device_id, ip_address: d.ip_address, hostname: d.hostname })

/**
 * Locations as one thing: a location whose devices are down together is one alert (site_down /
 * site_up) instead of one per device, and devices behind the down uplinks of their location are
 * `unreachable` rather than `down` (not alerted: the uplinks' alerts or the site alert say it).
 *
 * Pure bookkeeping over the device states, run once per cycle that changed a state: one pass over
 * the devices (no per-request work). Devices without a location (id null) never form a site.
 */
export class SiteWatch {
  private places = new Map<number, Place>()
  private byId = new Map<number, Device>()
  private readonly down = new Map<number, DownSite>()
  /** devices shown `unreachable` now */
  private unreachable = new Set<number>()
  /** locations whose uplinks are all down now */
  private cut = new Set<number>()

  constructor (private readonly opts: SiteWatchOptions) {}

  /** The monitored devices changed. */
  setDevices (devices: Device[]): void {
    const places = new Map<number, Place>()
    const byId = new Map<number, Device>()
    const uplinkTypes = this.opts.settings.uplinkTypeIds
    for (const d of devices) {
      byId.set(d.device_id, d)
      const id = d.location.id
      if (id === null) continue
      let p = places.get(id)
      if (p === undefined) {
        p = { ref: d.location, devices: [], uplinks: [] }
        places.set(id, p)
      }
      p.devices.push(d)
      if (d.type.id !== null && uplinkTypes.has(d.type.id)) p.uplinks.push(d)
    }
    this.places = places
    this.byId = byId
    for (const id of this.down.keys()) if (!places.has(id)) this.down.delete(id)
    for (const id of this.unreachable) if (!byId.has(id)) this.unreachable.delete(id)
  }

  device (deviceId: number): Device | undefined {
    return this.byId.get(deviceId)
  }

  /** The state to show: the machine's, except `unreachable` for a down device behind down uplinks. */
  shownState (deviceId: number, raw: DeviceState): DeviceState {
    return raw === 'down' && this.unreachable.has(deviceId) ? 'unreachable' : raw
  }

  /** The locations down now, worst first. */
  downSites (): DownSite[] {
    return [...this.down.values()].sort((a, b) => b.down / b.total - a.down / a.total || b.down - a.down)
  }

  isSiteDown (locationId: number | null): boolean {
    return locationId !== null && this.down.has(locationId)
  }

  /**
   * One live cycle's state changes (after the whole cycle was applied to the states): decides the
   * locations' verdicts and what is alerted. `at` is the cycle's time.
   */
  onChanges (changes: StateEvent[], at: number): SiteOutcome {
    const { minDown, ratio } = this.opts.settings
    const stateOf = this.opts.stateOf
    const wasDown = new Set(this.down.keys())
    const notices: SiteNotice[] = []
    const cut = new Set<number>()
    const unreachable = new Set<number>()

    for (const [id, p] of this.places) {
      const uplinksDown = p.uplinks.length > 0 && p.uplinks.every((u) => stateOf(u.device_id) === 'down')
      if (uplinksDown) cut.add(id)
      let total = 0
      let downDevices: Device[] | null = null
      for (const d of p.devices) {
        const s = stateOf(d.device_id)
        if (uplinksDown && s === 'down' && !p.uplinks.includes(d)) unreachable.add(d.device_id)
        if (this.opts.maintenanceOf(d).active) continue
        total++
        if (s === 'down') (downDevices ??= []).push(d)
      }
      const nDown = downDevices?.length ?? 0
      const isDown = nDown >= minDown && nDown >= ratio * total
      const prev = this.down.get(id)
      if (isDown && prev === undefined) {
        this.down.set(id, { location: p.ref, total, down: nDown, since: at })
        notices.push({ event: 'site_down', at, location: p.ref, total, down: nDown, devices: (downDevices ?? []).map(brief), down_since: null })
      } else if (isDown && prev !== undefined) {
        prev.total = total
        prev.down = nDown
      } else if (!isDown && prev !== undefined) {
        this.down.delete(id)
        notices.push({ event: 'site_up', at, location: p.ref, total, down: nDown, devices: (downDevices ?? []).map(brief), down_since: prev.since })
      }
    }

    const events: StateEvent[] = []
    const alert: StateEvent[] = []
    const evented = new Set<number>()
    for (const e of changes) {
      evented.add(e.device_id)
      const shown = {
        ...e,
        from: e.from === 'down' && this.unreachable.has(e.device_id) ? 'unreachable' as const : e.from,
        to: e.to === 'down' && unreachable.has(e.device_id) ? 'unreachable' as const : e.to
      }
      events.push(shown)
      const loc = this.byId.get(e.device_id)?.location.id ?? null
      const siteCovered = loc !== null && (wasDown.has(loc) || this.down.has(loc))
      if (!siteCovered && shown.to !== 'unreachable' && shown.from !== 'unreachable') alert.push(shown)
      // back from unreachable: a message, unless the site speaks for it
      else if (!siteCovered && shown.from === 'unreachable' && shown.to !== 'unreachable') alert.push(shown)
    }
    // devices whose uplinks went down or came back without a result of their own changing
    for (const id of unreachable) {
      if (this.unreachable.has(id) || evented.has(id)) continue
      const e = this.synthetic(id, 'down', 'unreachable', 'every uplink of its location is down', at)
      if (e !== null) events.push(e)
    }
    for (const id of this.unreachable) {
      if (unreachable.has(id) || evented.has(id) || stateOf(id) !== 'down') continue
      const e = this.synthetic(id, 'unreachable', 'down', 'an uplink of its location is up again; the device still does not answer', at)
      if (e === null) continue
      events.push(e)
      const loc = this.byId.get(id)?.location.id ?? null
      if (loc === null || (!wasDown.has(loc) && !this.down.has(loc))) alert.push(e)
    }
    this.unreachable = unreachable
    this.cut = cut
    return { events, alert, notices }
  }

  /** locations whose uplinks are all down now */
  cutOff (): ReadonlySet<number> {
    return this.cut
  }

  private synthetic (id: number, from: DeviceState, to: DeviceState, reason: string, at: number): StateEvent | null {
    const d = this.byId.get(id)
    if (d === undefined) return null
    return { device_id: id, ip_address: d.ip_address, hostname: d.hostname, from, to, at, reason, consecutive_failures: 0, last_error: null, down_since: null }
  }
}
