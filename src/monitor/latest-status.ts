import type { Device } from '../inventory/filter-inventory.js'
import type { ResultRow } from '../storage/result-row.js'
import type { DeviceStateSummary, OfflineDevice, OnlineDevice, StatusData } from '../schemas/latest.js'

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
  private preparedLatest: ResultRow[] = []
  private preparedStatus: StatusData = emptyStatus()
  private dirty = false
  private stateOf: StateLookup = () => NO_STATE

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

  latestRows (): ResultRow[] {
    if (this.dirty) this.prepare()
    return this.preparedLatest
  }

  status (): StatusData {
    if (this.dirty) this.prepare()
    return this.preparedStatus
  }

  private remember (row: ResultRow, at: number): void {
    const prev = this.latest.get(row.device_id)
    if (prev === undefined || prev.at <= at) this.latest.set(row.device_id, { row, at })
    if (row.ping_success) {
      const seen = this.lastSeen.get(row.device_id)
      if (seen === undefined || seen.at <= at) this.lastSeen.set(row.device_id, { ts: row.timestamp, at })
    }
  }

  private prepare (): void {
    this.dirty = false
    const monitored = new Set(this.devices.map((d) => d.device_id))
    const entries = [...this.latest.entries()].filter(([id]) => monitored.has(id)).map(([, v]) => v)
    entries.sort((a, b) => b.at - a.at || a.row.device_id - b.row.device_id)
    this.preparedLatest = entries.map((e) => e.row)
    const online: OnlineDevice[] = []
    const offline: OfflineDevice[] = []
    for (const d of this.devices) {
      const l = this.latest.get(d.device_id)
      if (l === undefined) continue
      const last_seen = this.lastSeen.get(d.device_id)?.ts ?? null
      const { state, consecutive_failures, down_since } = this.stateOf(d.device_id)
      const base = { device_id: d.device_id, ip_address: l.row.ip_address, hostname: l.row.hostname, last_seen, state, consecutive_failures, down_since }
      if (l.row.ping_success) online.push({ ...base, response_time_ms: l.row.response_time_ms })
      else offline.push({ ...base, error_message: l.row.error_message })
    }
    this.preparedStatus = {
      total_devices: this.devices.length,
      online_devices: online.length,
      offline_devices: offline.length,
      pending_devices: this.devices.length - online.length - offline.length,
      devices: { online, offline }
    }
  }
}

function emptyStatus (): StatusData {
  return { total_devices: 0, online_devices: 0, offline_devices: 0, pending_devices: 0, devices: { online: [], offline: [] } }
}
