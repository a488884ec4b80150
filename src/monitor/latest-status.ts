import type { Device } from '../inventory/filter-inventory.js'
import type { ResultRow } from '../storage/result-row.js'
import type { DeviceStateSummary, FactFilter, LatestRow, OfflineDevice, OnlineDevice, StatusData } from '../schemas/latest.js'
import type { DeviceFacts } from '../schemas/device-facts.js'
import { deviceFacts, type MaintenanceOf } from '../sites/device-facts.js'
import { NOT_IN_MAINTENANCE } from '../schemas/device-facts.js'

export type { DeviceStateSummary, OnlineDevice, OfflineDevice, StatusData } from '../schemas/latest.js'
export type StateLookup = (deviceId: number) => DeviceStateSummary
const NO_STATE: DeviceStateSummary = { state: 'unknown', consecutive_failures: 0, down_since: null }

/**
 * Latest result and last successful ping per monitored device. The answers of /latest and /status are
 * prepared here at most once per change (cycle, inventory reload, end of the read-back), not per
 * request, and only when first asked for after it: a cycle nobody reads costs nothing. (In the
 * pipeline this stage runs after the device state, so the state it shows is the cycle's own.)
 */
export class LatestStatus {
  private devices: Device[] = []
  private readonly latest = new Map<number, { row: ResultRow, at: number }>()
  private readonly lastSeen = new Map<number, { ts: string, at: number }>()
  private preparedLatest: LatestRow[] = []
  private preparedStatus: StatusData = emptyStatus()
  private dirty = false
  private stateOf: StateLookup = () => NO_STATE
  private maintenanceOf: MaintenanceOf = () => NOT_IN_MAINTENANCE
  /** filtered answers of this preparation, by filter (the response cache keys by URL; this keys by meaning) */
  private readonly filtered = new Map<string, { latest?: LatestRow[], status?: StatusData }>()

  /** Where the `maintenance` of each device row comes from. */
  setMaintenanceLookup (lookup: MaintenanceOf): void {
    this.maintenanceOf = lookup
    this.dirty = true
  }

  /** Where `state`, `consecutive_failures` and `down_since` of each device come from. */
  setStateLookup (lookup: StateLookup): void {
    this.stateOf = lookup
    this.dirty = true
  }

  /** Remembers history rows (e.g. read back from CSV at start); newer rows win. */
  seed (row: ResultRow, at: number): void {
    this.remember(row, at)
  }

  /** Adds one cycle's rows; the answers are prepared again when next asked for. */
  update (rows: Array<{ row: ResultRow, at: number }>): void {
    for (const r of rows) this.remember(r.row, r.at)
    this.dirty = true
  }

  /** The monitored devices changed: drop the ones that left. */
  setDevices (devices: Device[]): void {
    this.devices = devices
    const ids = new Set(devices.map((d) => d.device_id))
    for (const id of this.latest.keys()) if (!ids.has(id)) this.latest.delete(id)
    for (const id of this.lastSeen.keys()) if (!ids.has(id)) this.lastSeen.delete(id)
    this.dirty = true
  }

  latestRows (filter: FactFilter = {}): LatestRow[] {
    if (this.dirty) this.prepare()
    if (!isFiltered(filter)) return this.preparedLatest
    const f = this.filteredEntry(filter)
    f.latest ??= this.preparedLatest.filter((r) => matches(r, filter))
    return f.latest
  }

  status (filter: FactFilter = {}): StatusData {
    if (this.dirty) this.prepare()
    if (!isFiltered(filter)) return this.preparedStatus
    const f = this.filteredEntry(filter)
    f.status ??= filterStatusData(this.preparedStatus, this.devices, filter)
    return f.status
  }

  private filteredEntry (filter: FactFilter) {
    const key = `${filter.location_id ?? ''}/${filter.type_id ?? ''}`
    let f = this.filtered.get(key)
    if (f === undefined) {
      f = {}
      this.filtered.set(key, f)
    }
    return f
  }

  // each device's entries are updated in place, not replaced: a new pair of objects per result (10,000s
  // per cycle, each living one cycle) was work for the collector on every cycle
  private remember (row: ResultRow, at: number): void {
    const prev = this.latest.get(row.device_id)
    if (prev === undefined) this.latest.set(row.device_id, { row, at })
    else if (prev.at <= at) {
      prev.row = row
      prev.at = at
    }
    if (row.ping_success) {
      const seen = this.lastSeen.get(row.device_id)
      if (seen === undefined) this.lastSeen.set(row.device_id, { ts: row.timestamp, at })
      else if (seen.at <= at) {
        seen.ts = row.timestamp
        seen.at = at
      }
    }
  }

  private prepare (): void {
    this.dirty = false
    this.filtered.clear()
    // one facts object per device per preparation, shared by its /latest and /status rows
    const facts = new Map<number, DeviceFacts>()
    for (const d of this.devices) facts.set(d.device_id, deviceFacts(d, this.maintenanceOf))
    const entries = [...this.latest.entries()].filter(([id]) => facts.has(id)).map(([, v]) => v)
    entries.sort((a, b) => b.at - a.at || a.row.device_id - b.row.device_id)
    this.preparedLatest = entries.map((e) => ({ ...e.row, ...(facts.get(e.row.device_id) as DeviceFacts) }))
    const online: OnlineDevice[] = []
    const offline: OfflineDevice[] = []
    for (const d of this.devices) {
      const l = this.latest.get(d.device_id)
      if (l === undefined) continue
      const last_seen = this.lastSeen.get(d.device_id)?.ts ?? null
      const { state, consecutive_failures, down_since } = this.stateOf(d.device_id)
      const base = { device_id: d.device_id, ip_address: l.row.ip_address, hostname: l.row.hostname, last_seen, state, consecutive_failures, down_since, ...(facts.get(d.device_id) as DeviceFacts) }
      if (l.row.ping_success) online.push({ ...base, response_time_ms: l.row.response_time_ms })
      else offline.push({ ...base, error_message: l.row.error_message })
    }
    this.preparedStatus = {
      total_devices: this.devices.length,
      online_devices: online.length,
      offline_devices: offline.length,
      pending_devices: this.devices.length - online.length - offline.length,
      states: countStates(online, offline, this.devices.length),
      devices: { online, offline }
    }
  }
}

function emptyStatus (): StatusData {
  return { total_devices: 0, online_devices: 0, offline_devices: 0, pending_devices: 0, states: countStates([], [], 0), devices: { online: [], offline: [] } }
}

export const isFiltered = (f: FactFilter) => f.location_id !== undefined || f.type_id !== undefined
export const matches = (d: { location: { id: number | null }, type: { id: number | null } }, f: FactFilter) =>
  (f.location_id === undefined || d.location.id === f.location_id) && (f.type_id === undefined || d.type.id === f.type_id)

/**
 * A prepared /status answer narrowed to one location and/or type: its online and offline devices
 * that match, and the total among `devices` (the monitored ones, those without a result included).
 * The local view and the fleet view (src/cluster/fleet-view.ts) both answer filters through this.
 */
export function filterStatusData (prepared: StatusData, devices: Device[], filter: FactFilter): StatusData {
  const online = prepared.devices.online.filter((d) => matches(d, filter))
  const offline = prepared.devices.offline.filter((d) => matches(d, filter))
  const total = devices.reduce((n, d) => n + (matches(d, filter) ? 1 : 0), 0)
  return { total_devices: total, online_devices: online.length, offline_devices: offline.length, pending_devices: total - online.length - offline.length, states: countStates(online, offline, total), devices: { online, offline } }
}

/** devices by state; those without a result yet are unknown */
export function countStates (online: Array<{ state: string }>, offline: Array<{ state: string }>, total: number): StatusData['states'] {
  const n = { up: 0, down: 0, unreachable: 0, flapping: 0, unknown: 0 }
  for (const d of online) n[d.state as keyof typeof n]++
  for (const d of offline) n[d.state as keyof typeof n]++
  n.unknown += total - online.length - offline.length
  return n
}
