import type { Device } from '../inventory/filter-inventory.js'
import type { ResultRow } from '../storage/result-row.js'
import { escapeLabelValue, familyHeader, formatValue } from './exposition.js'

interface Entry {
  ip: string
  hostname: string
  /** the device's location and type ids as labels ('' when none) */
  loc: string
  type: string
  /** `<prefix>device_up{device_id="…",ip="…",hostname="…"} 1\n`: labels escaped once, line rebuilt only when up flips */
  upLine: string
  up: 0 | 1 | -1
  /** `<prefix>device_response_time_seconds{…} ` */
  rttPrefix: string
  /** seconds; NaN while the last ping failed */
  rtt: number
}

const idLabel = (id: number | null) => id === null ? '' : String(id)

/**
 * The per-device families: `<prefix>device_up` and `<prefix>device_response_time_seconds`. A cycle
 * only stores two numbers per device; the text is written on the first scrape after a change and
 * reused by further scrapes until the next cycle.
 */
export class DeviceGauges {
  private readonly entries = new Map<number, Entry>()
  private monitored = new Map<number, Device>()
  private version = 0
  private renderedVersion = -1
  private rendered = ''
  readonly upName: string
  readonly rttName: string

  constructor (prefix: string) {
    this.upName = `${prefix}device_up`
    this.rttName = `${prefix}device_response_time_seconds`
  }

  /** The monitored devices changed: series of devices that left (or changed address or name) go. */
  setDevices (devices: Device[]): void {
    this.monitored = new Map(devices.map((d) => [d.device_id, d]))
    for (const [id, e] of this.entries) {
      const d = this.monitored.get(id)
      if (d === undefined || d.ip_address !== e.ip || d.hostname !== e.hostname || idLabel(d.location.id) !== e.loc || idLabel(d.type.id) !== e.type) this.entries.delete(id)
    }
    this.version++
  }

  /** One cycle's rows. Rows of devices that left (or were renamed) while the cycle ran are ignored. */
  update (rows: Iterable<{ row: ResultRow }>): void {
    for (const { row } of rows) {
      const d = this.monitored.get(row.device_id)
      if (d === undefined || d.ip_address !== row.ip_address || d.hostname !== row.hostname) continue
      let e = this.entries.get(row.device_id)
      if (e === undefined || e.ip !== row.ip_address || e.hostname !== row.hostname) {
        const loc = idLabel(d.location.id)
        const type = idLabel(d.type.id)
        // location_id and type_id let rules and dashboards sum by location or type (ids only: few distinct values, names may change)
        const labels = `{device_id="${row.device_id}",ip="${escapeLabelValue(row.ip_address)}",hostname="${escapeLabelValue(row.hostname)}",location_id="${loc}",type_id="${type}"} `
        e = { ip: row.ip_address, hostname: row.hostname, loc, type, upLine: '', up: -1, rttPrefix: this.rttName + labels, rtt: NaN }
        this.entries.set(row.device_id, e)
      }
      const up = row.ping_success ? 1 : 0
      if (e.up !== up) {
        e.up = up
        e.upLine = `${this.upName}${e.rttPrefix.slice(this.rttName.length)}${up}\n`
      }
      e.rtt = row.ping_success && row.response_time_ms !== null ? row.response_time_ms / 1000 : NaN
    }
    this.version++
  }

  render (): string {
    if (this.renderedVersion === this.version) return this.rendered
    const up: string[] = [familyHeader(this.upName, 'Whether the device answered its last ping (1) or not (0); absent until its first result', 'gauge')]
    const rtt: string[] = [familyHeader(this.rttName, "The device's last response time in seconds; absent while its last ping failed", 'gauge')]
    for (const e of this.entries.values()) {
      up.push(e.upLine)
      if (!Number.isNaN(e.rtt)) rtt.push(e.rttPrefix + formatValue(e.rtt) + '\n')
    }
    this.rendered = up.join('') + rtt.join('')
    this.renderedVersion = this.version
    return this.rendered
  }
}
