import type { Device } from '../inventory/filter-inventory.js'
import { IdSlots } from '../inventory/device-index.js'
import { formatLocalIso } from '../lib/local-time.js'
import type { CycleColumns } from '../storage/result-columns.js'
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
  private readonly results = new LatestResults()
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
    this.results.remember(row, at)
  }

  /** Adds one cycle's results (its columns); the answers are prepared again when next asked for. */
  update (c: CycleColumns): void {
    this.results.rememberCycle(c)
    this.dirty = true
  }

  /** The monitored devices changed: drop the ones that left. */
  setDevices (devices: Device[]): void {
    this.devices = devices
    this.results.retain(new Set(devices.map((d) => d.device_id)))
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

  private prepare (): void {
    this.dirty = false
    this.filtered.clear()
    const r = this.results
    // one facts object per device per preparation, shared by its /latest and /status rows
    const facts = new Map<number, DeviceFacts>()
    for (const d of this.devices) facts.set(d.device_id, deviceFacts(d, this.maintenanceOf))
    const slots: number[] = []
    for (const [id, slot] of r.slotEntries()) if (facts.has(id)) slots.push(slot)
    slots.sort((a, b) => r.at[b] - r.at[a] || r.id[a] - r.id[b])
    this.preparedLatest = slots.map((s) => ({ ...r.row(s), ...(facts.get(r.id[s]) as DeviceFacts) }))
    const online: OnlineDevice[] = []
    const offline: OfflineDevice[] = []
    for (const d of this.devices) {
      const s = r.slotOf(d.device_id)
      if (s === -1) continue
      const { state, consecutive_failures, down_since } = this.stateOf(d.device_id)
      const base = { device_id: d.device_id, ip_address: r.ip[s], hostname: r.host[s], last_seen: r.seenTimestamp(s), state, consecutive_failures, down_since, ...(facts.get(d.device_id) as DeviceFacts) }
      if (r.ok[s] === 1) online.push({ ...base, response_time_ms: nullIfNaN(r.rtt[s]) })
      else offline.push({ ...base, error_message: r.err[s] })
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

/** columns grow by half: doubling left up to half of them unused (65,536 rows for 50,000 devices) */
const GROWTH = 1.5

const nullIfNaN = (v: number): number | null => Number.isNaN(v) ? null : v

/**
 * Each device's latest result and the time of its last reply, as columns by a slot per device. The
 * rows themselves are not kept: holding each device's last row object (and a pair of entry objects)
 * kept a whole cycle's rows alive until the next one replaced them, ~18 MB at 50,000 devices in a
 * heap snapshot of the bench; as columns the texts are references to the strings the results carried
 * (the inventory's ip and hostname, the cycle's error texts) and the rest 26 bytes a device. A live
 * result's timestamp is written from its time when an answer is prepared (a cycle nobody reads
 * formats none); a seeded row's (read back from the files) is kept as the row had it.
 */
export class LatestResults {
  private readonly slots = new IdSlots()
  private n = 0
  id = new Float64Array(0)
  /** epoch ms of the latest result */
  at = new Float64Array(0)
  ok = new Uint8Array(0)
  /** round-trip ms, NaN when the row had none */
  rtt = new Float64Array(0)
  /** the row's timestamp; undefined: formatLocalIso(at), written when asked for */
  ts: Array<string | undefined> = []
  ip: string[] = []
  host: string[] = []
  err: string[] = []
  /** epoch ms of the last reply, -Infinity when none, and its row's timestamp (undefined: from seenAt, as ts) */
  seenAt = new Float64Array(0)
  seenTs: Array<string | undefined> = []

  get size (): number {
    return this.n
  }

  slotOf (deviceId: number): number {
    return this.slots.get(deviceId)
  }

  slotEntries (): IterableIterator<[number, number]> {
    return this.slots.entries()
  }

  /** the latest row of a slot, as the cycle gave it */
  row (s: number): ResultRow {
    return { timestamp: this.ts[s] ?? formatLocalIso(this.at[s]), device_id: this.id[s], ip_address: this.ip[s], hostname: this.host[s], ping_success: this.ok[s] === 1, response_time_ms: nullIfNaN(this.rtt[s]), error_message: this.err[s] }
  }

  /** the timestamp of the slot's last reply, null when none */
  seenTimestamp (s: number): string | null {
    if (this.seenAt[s] === -Infinity) return null
    return this.seenTs[s] ?? formatLocalIso(this.seenAt[s])
  }

  /** Each result of a cycle, as remember() takes a row (the rows are not made). */
  rememberCycle (c: CycleColumns): void {
    const devices = c.devices
    // room for a cycle's devices in one step (see StateTable.reserve)
    if (c.n > this.id.length) this.grow(c.n)
    for (let i = 0; i < c.n; i++) {
      const d = devices[i]
      const at = c.at[i]
      let s = this.slots.get(d.device_id)
      if (s === -1) {
        s = this.add(d.device_id)
        this.at[s] = -Infinity
      }
      const ok = c.ok[i]
      if (this.at[s] <= at) {
        this.at[s] = at
        this.ok[s] = ok
        this.rtt[s] = c.rtt[i]
        this.ts[s] = undefined
        this.ip[s] = d.ip_address
        this.host[s] = d.hostname
        this.err[s] = ok === 1 ? '' : c.errors[c.error[i]]
      }
      if (ok === 1 && this.seenAt[s] <= at) {
        this.seenAt[s] = at
        this.seenTs[s] = undefined
      }
    }
  }

  /** a row newer than (or as new as) what the device has replaces it; a reply also sets its last seen */
  remember (row: ResultRow, at: number): void {
    let s = this.slots.get(row.device_id)
    if (s === -1) {
      s = this.add(row.device_id)
      this.at[s] = -Infinity
    }
    if (this.at[s] <= at) {
      this.at[s] = at
      this.ok[s] = row.ping_success ? 1 : 0
      this.rtt[s] = row.response_time_ms ?? NaN
      this.ts[s] = row.timestamp
      this.ip[s] = row.ip_address
      this.host[s] = row.hostname
      this.err[s] = row.error_message
    }
    if (row.ping_success && this.seenAt[s] <= at) {
      this.seenAt[s] = at
      this.seenTs[s] = row.timestamp
    }
  }

  /** Forgets every device not in `ids`; the others move down to fill the gaps. */
  retain (ids: Set<number>): void {
    let w = 0
    for (let s = 0; s < this.n; s++) {
      const id = this.id[s]
      if (!ids.has(id)) {
        this.slots.delete(id)
        continue
      }
      if (w !== s) this.move(s, w)
      this.slots.set(id, w)
      w++
    }
    for (const list of [this.ts, this.ip, this.host, this.err, this.seenTs]) list.length = w
    this.n = w
  }

  private move (from: number, to: number): void {
    this.id[to] = this.id[from]
    this.at[to] = this.at[from]
    this.ok[to] = this.ok[from]
    this.rtt[to] = this.rtt[from]
    this.seenAt[to] = this.seenAt[from]
    this.ts[to] = this.ts[from]
    this.ip[to] = this.ip[from]
    this.host[to] = this.host[from]
    this.err[to] = this.err[from]
    this.seenTs[to] = this.seenTs[from]
  }

  private add (deviceId: number): number {
    const s = this.n++
    if (s === this.id.length) this.grow(Math.max(64, Math.ceil(s * GROWTH)))
    this.slots.set(deviceId, s)
    this.id[s] = deviceId
    this.seenAt[s] = -Infinity
    this.ts.push('')
    this.ip.push('')
    this.host.push('')
    this.err.push('')
    this.seenTs.push(undefined)
    return s
  }

  private grow (capacity: number): void {
    const f64 = (a: Float64Array) => { const b = new Float64Array(capacity); b.set(a); return b }
    this.id = f64(this.id)
    this.at = f64(this.at)
    this.rtt = f64(this.rtt)
    this.seenAt = f64(this.seenAt)
    const ok = new Uint8Array(capacity)
    ok.set(this.ok)
    this.ok = ok
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
