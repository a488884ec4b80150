import type { Device } from '../inventory/filter-inventory.js'
import { DeviceIndex } from '../inventory/device-index.js'
import type { CycleColumns } from '../storage/result-columns.js'
import { escapeLabelValue, familyHeader, formatValue } from './exposition.js'

const idLabel = (id: number | null) => id === null ? '' : String(id)

/** the same series: the labels a device's lines carry did not change */
const sameLabels = (a: Device, b: Device) => a.ip_address === b.ip_address && a.hostname === b.hostname && a.location.id === b.location.id && a.type.id === b.type.id

/**
 * The per-device families: `<prefix>device_up` and `<prefix>device_response_time_seconds`. A cycle
 * only stores two numbers per device, in typed arrays by the device's position in the monitored list;
 * the text is written on the first scrape after a change and reused by further scrapes until the next
 * cycle.
 *
 * A device's label set is one string, written at its first scrape from the device and kept by position
 * (carried over an inventory change when the labels stay): before, each device had an object and two
 * strings, its up line and its time prefix (~450 bytes, 22 MB of heap at 50,000 devices in a heap
 * snapshot of the bench); the line is joined at the scrape instead. Measured at 50,000 devices (2 cores
 * under load, so roughly): per-device state 12 MB instead of 27, a cycle's update 6-10 ms instead of
 * 44-54, a scrape 113-134 ms instead of 82-95. Writing the label sets at every scrape was tried: 3-5x
 * the scrape time, for ~6 MB.
 */
export class DeviceGauges {
  private monitored: Device[] = []
  private index = new DeviceIndex([])
  /** per monitored device: 1 up, 0 down, -1 no result yet (no series) */
  private up = new Int8Array(0)
  /** per monitored device: the last response time in seconds; NaN while the last ping failed */
  private rtt = new Float64Array(0)
  /** per monitored device: its label set as text, written at its first scrape (one string, not a line per family) */
  private labels: Array<string | undefined> = []
  private version = 0
  private renderedVersion = -1
  private rendered = ''
  readonly upName: string
  readonly rttName: string

  constructor (prefix: string) {
    this.upName = `${prefix}device_up`
    this.rttName = `${prefix}device_response_time_seconds`
  }

  /** The monitored devices changed: series of devices that left (or changed address, name, location or type) go. */
  setDevices (devices: Device[]): void {
    const index = new DeviceIndex(devices)
    const up = new Int8Array(devices.length).fill(-1)
    const rtt = new Float64Array(devices.length).fill(NaN)
    const labels = new Array<string | undefined>(devices.length)
    const old = this.monitored
    for (let i = 0; i < old.length; i++) {
      if (this.up[i] === -1) continue
      const j = index.indexOf(old[i].device_id)
      if (j === -1 || !sameLabels(old[i], devices[j])) continue
      up[j] = this.up[i]
      rtt[j] = this.rtt[i]
      labels[j] = this.labels[i]
    }
    this.monitored = devices
    this.index = index
    this.up = up
    this.rtt = rtt
    this.labels = labels
    this.changed()
  }

  /** One cycle's results. Those of devices that left (or were renamed) while the cycle ran are ignored. */
  update (c: CycleColumns): void {
    const list = this.monitored
    const devices = c.devices
    for (let k = 0; k < c.n; k++) {
      const r = devices[k]
      const i = this.index.indexOf(r.device_id)
      if (i === -1) continue
      const d = list[i]
      // the same object when the cycle pinged the monitored list itself (the usual case)
      if (d !== r && (d.ip_address !== r.ip_address || d.hostname !== r.hostname)) continue
      const ok = c.ok[k] === 1
      this.up[i] = ok ? 1 : 0
      this.rtt[i] = ok ? c.rtt[k] / 1000 : NaN
    }
    this.changed()
  }

  render (): string {
    if (this.renderedVersion === this.version) return this.rendered
    const up: string[] = [familyHeader(this.upName, 'Whether the device answered its last ping (1) or not (0); absent until its first result', 'gauge')]
    const rtt: string[] = [familyHeader(this.rttName, "The device's last response time in seconds; absent while its last ping failed", 'gauge')]
    const list = this.monitored
    const labels = this.labels
    for (let i = 0; i < list.length; i++) {
      const v = this.up[i]
      if (v === -1) continue
      let l = labels[i]
      if (l === undefined) {
        const d = list[i]
        // location_id and type_id let rules and dashboards sum by location or type (ids only: few distinct values, names may change)
        // join: one flat string (a template literal leaves a rope of its pieces, slower to copy at every scrape)
        l = labels[i] = ['{device_id="', d.device_id, '",ip="', escapeLabelValue(d.ip_address), '",hostname="', escapeLabelValue(d.hostname),
          '",location_id="', idLabel(d.location.id), '",type_id="', idLabel(d.type.id), '"} '].join('')
      }
      // the pieces as they are, joined once below: no string per line
      up.push(this.upName, l, v === 1 ? '1\n' : '0\n')
      const seconds = this.rtt[i]
      if (!Number.isNaN(seconds)) rtt.push(this.rttName, l, formatValue(seconds), '\n')
    }
    this.rendered = up.join('') + rtt.join('')
    this.renderedVersion = this.version
    return this.rendered
  }

  private changed (): void {
    this.version++
    // the text of an older cycle is never served again: not kept until the next scrape (~15 MB at 50,000 devices)
    this.rendered = ''
  }
}
