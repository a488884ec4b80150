import type { Device } from '../inventory/filter-inventory.js'
import { countStates, isFiltered, matches } from '../monitor/latest-status.js'
import type { DeviceFacts } from '../schemas/device-facts.js'
import type { FactFilter, LatestRow, OfflineDevice, OnlineDevice, StatusData } from '../schemas/latest.js'
import type { ResultRow } from '../storage/result-row.js'
import type { ResultMessage } from './results-stream.js'

export type FleetRow = LatestRow & { owner: string }

/**
 * The latest result of every device of the fleet, whoever pinged it, from the results stream that
 * every instance follows; and the cycles nobody pinged (every instance sees every result, so each
 * can count what is missing).
 */
export class FleetView {
  private readonly latest = new Map<number, { row: ResultRow, at: number, owner: string, st: ResultMessage['r'][number]['st'] }>()
  private readonly lastSeen = new Map<number, string>()
  private readonly received = new Map<number, Set<number>>()
  private evaluatedUpTo: number
  private readonly missed = new Map<number, number>()
  private missedTotal = 0
  private devices: Device[] = []
  /** counts the changes (a message, an inventory): the response cache keeps a fleet answer while it stays */
  revision = 0
  private prepared: { rows: FleetRow[], status: StatusData & { devices: { online: Array<OnlineDevice & { owner: string }>, offline: Array<OfflineDevice & { owner: string }> } } } | null = null

  /**
   * @param fromSlot the first slot whose misses are counted (a cycle or two after start)
   * @param factsOf the inventory's facts of a device (every instance reads the whole inventory)
   */
  constructor (fromSlot: number, private readonly factsOf: (d: Device) => DeviceFacts) {
    this.evaluatedUpTo = fromSlot - 1
  }

  add (msg: ResultMessage): void {
    let set = this.received.get(msg.s)
    if (set === undefined) this.received.set(msg.s, set = new Set())
    set.add(msg.p)
    for (const r of msg.r) {
      const prev = this.latest.get(r.row.device_id)
      if (prev === undefined || prev.at <= r.at) this.latest.set(r.row.device_id, { row: r.row, at: r.at, owner: msg.o, st: r.st })
      if (r.row.ping_success) this.lastSeen.set(r.row.device_id, r.row.timestamp)
    }
    this.prepared = null
    this.revision++
  }

  setDevices (devices: Device[]): void {
    this.devices = devices
    const ids = new Set(devices.map((d) => d.device_id))
    for (const id of this.latest.keys()) if (!ids.has(id)) this.latest.delete(id)
    this.prepared = null
    this.revision++
  }

  /**
   * Counts, for every slot up to `upTo`, each partition that has devices but whose results nobody
   * published. Called a slot or two after the fact, so late messages still count.
   */
  countMissed (upTo: number, partitionsWithDevices: Iterable<number>): void {
    const expected = [...partitionsWithDevices]
    for (let s = this.evaluatedUpTo + 1; s <= upTo; s++) {
      const got = this.received.get(s)
      for (const p of expected) {
        if (got?.has(p) === true) continue
        this.missed.set(p, (this.missed.get(p) ?? 0) + 1)
        this.missedTotal++
      }
      this.received.delete(s)
    }
    this.evaluatedUpTo = Math.max(this.evaluatedUpTo, upTo)
    for (const s of this.received.keys()) if (s <= this.evaluatedUpTo) this.received.delete(s)
  }

  missedCycles (): { total: number, byPartition: Map<number, number> } {
    return { total: this.missedTotal, byPartition: this.missed }
  }

  latestRows (filter: FactFilter = {}): FleetRow[] {
    const rows = this.prepare().rows
    // per request, unlike the local view's per-cycle cache: the fleet view is for cluster mode only
    return isFiltered(filter) ? rows.filter((r) => matches(r, filter)) : rows
  }

  status (filter: FactFilter = {}): StatusData {
    const p = this.prepare().status
    if (!isFiltered(filter)) return p
    const online = p.devices.online.filter((d) => matches(d, filter))
    const offline = p.devices.offline.filter((d) => matches(d, filter))
    const total = this.devices.reduce((n, d) => n + (matches(d, filter) ? 1 : 0), 0)
    return { total_devices: total, online_devices: online.length, offline_devices: offline.length, pending_devices: total - online.length - offline.length, states: countStates(online, offline, total), devices: { online, offline } }
  }

  private prepare (): NonNullable<FleetView['prepared']> {
    if (this.prepared !== null) return this.prepared
    const facts = new Map<number, DeviceFacts>()
    for (const d of this.devices) facts.set(d.device_id, this.factsOf(d))
    const entries = [...this.latest.values()].filter((e) => facts.has(e.row.device_id)).sort((a, b) => b.at - a.at || a.row.device_id - b.row.device_id)
    const rows = entries.map((e) => ({ ...e.row, ...(facts.get(e.row.device_id) as DeviceFacts), owner: e.owner }))
    const online: Array<OnlineDevice & { owner: string }> = []
    const offline: Array<OfflineDevice & { owner: string }> = []
    for (const d of this.devices) {
      const l = this.latest.get(d.device_id)
      if (l === undefined) continue
      const base = { device_id: d.device_id, ip_address: l.row.ip_address, hostname: l.row.hostname, last_seen: this.lastSeen.get(d.device_id) ?? null, ...l.st, ...(facts.get(d.device_id) as DeviceFacts), owner: l.owner }
      if (l.row.ping_success) online.push({ ...base, response_time_ms: l.row.response_time_ms })
      else offline.push({ ...base, error_message: l.row.error_message })
    }
    const total = this.devices.length
    this.prepared = {
      rows,
      status: { total_devices: total, online_devices: online.length, offline_devices: offline.length, pending_devices: total - online.length - offline.length, states: countStates(online, offline, total), devices: { online, offline } }
    }
    return this.prepared
  }
}
