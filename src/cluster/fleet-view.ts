import type { Device } from '../inventory/filter-inventory.js'
import { countStates, filterStatusData, isFiltered, matches } from '../monitor/latest-status.js'
import type { DeviceFacts } from '../schemas/device-facts.js'
import type { FactFilter, LatestRow, OfflineDevice, OnlineDevice, StatusData } from '../schemas/latest.js'
import type { DeviceState } from '../state/device-state.js'
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
  /** each device's latest successful result (epoch ms and its timestamp), whatever the order they came in */
  private readonly lastSeen = new Map<number, { at: number, timestamp: string }>()
  private readonly received = new Map<number, Set<number>>()
  private evaluatedUpTo: number
  private readonly missed = new Map<number, number>()
  private missedTotal = 0
  /** former owners of each device (owner → epoch ms of its last result), kept when the owner changes */
  private readonly formerOwners = new Map<number, Map<string, number>>()
  private devices: Device[] = []
  /**
   * Changes when what /latest and /status show changes: a newer result of a device, another owner, an
   * inventory change. A message that brings nothing new (the stream's latest message per partition
   * again after the consumer restarts, a result older than the one kept) leaves it, and so the answers
   * cached under it.
   */
  version = 0
  /**
   * What the fleet's groups are computed from: changes when a device's published state changes (or the
   * inventory), and at most once per cycle besides (the newest slot seen), so that what the groups take
   * from outside the states (maintenance) shows within a cycle, as in the local groups.
   */
  get groupsVersion (): string {
    return `${this.statesVersion}|${this.newestSlot}`
  }

  private statesVersion = 0
  private newestSlot = -1
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
    if (msg.s > this.newestSlot) this.newestSlot = msg.s
    let shown = false
    let states = false
    for (const r of msg.r) {
      const id = r.row.device_id
      const prev = this.latest.get(id)
      if (prev === undefined || prev.at <= r.at) {
        if (prev !== undefined && prev.owner !== msg.o) this.formerOwner(id, prev.owner, prev.at)
        // the same result again (same time, same owner) changes nothing shown
        if (prev === undefined || prev.at < r.at || prev.owner !== msg.o) shown = true
        if (prev === undefined || prev.st.state !== r.st.state) states = true
        this.latest.set(id, { row: r.row, at: r.at, owner: msg.o, st: r.st })
      } else if (prev.owner !== msg.o) this.formerOwner(id, msg.o, r.at)
      if (r.row.ping_success) {
        const seen = this.lastSeen.get(id)
        if (seen === undefined || seen.at < r.at) {
          this.lastSeen.set(id, { at: r.at, timestamp: r.row.timestamp })
          shown = true
        }
      }
    }
    if (states) this.statesVersion++
    if (shown) {
      this.prepared = null
      this.version++
    }
  }

  private formerOwner (id: number, owner: string, at: number): void {
    let m = this.formerOwners.get(id)
    if (m === undefined) this.formerOwners.set(id, m = new Map())
    if ((m.get(owner) ?? -Infinity) < at) m.set(owner, at)
  }

  setDevices (devices: Device[]): void {
    this.devices = devices
    const ids = new Set(devices.map((d) => d.device_id))
    for (const id of this.latest.keys()) if (!ids.has(id)) this.latest.delete(id)
    for (const id of this.formerOwners.keys()) if (!ids.has(id)) this.formerOwners.delete(id)
    for (const id of this.lastSeen.keys()) if (!ids.has(id)) this.lastSeen.delete(id)
    this.prepared = null
    this.version++
    this.statesVersion++
  }

  /** the monitored devices of the fleet (the whole inventory: every instance reads it) */
  allDevices (): Device[] {
    return this.devices
  }

  /** the state machine's verdict of a device, as its owner published it (undefined: no result yet) */
  stateOf (id: number): DeviceState | undefined {
    const s = this.latest.get(id)?.st.state
    // owners publish the machine's state; `unreachable` is worked out from the uplinks where it is shown
    return s === 'unreachable' ? 'down' : s
  }

  /**
   * The instances seen pinging a device since `fromMs` (epoch ms of their results), as far as this
   * instance saw them: since it started following the stream, plus the latest result before that.
   */
  ownersSince (id: number, fromMs: number): string[] {
    const out = new Set<string>()
    const l = this.latest.get(id)
    if (l !== undefined && l.at >= fromMs) out.add(l.owner)
    for (const [o, at] of this.formerOwners.get(id) ?? []) if (at >= fromMs) out.add(o)
    return [...out].sort()
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
    return isFiltered(filter) ? filterStatusData(p, this.devices, filter) : p
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
      const base = { device_id: d.device_id, ip_address: l.row.ip_address, hostname: l.row.hostname, last_seen: this.lastSeen.get(d.device_id)?.timestamp ?? null, ...l.st, ...(facts.get(d.device_id) as DeviceFacts), owner: l.owner }
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
