import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { makeDevice, type Device } from '../src/inventory/filter-inventory.js'
import { NOT_IN_MAINTENANCE } from '../src/schemas/device-facts.js'
import { createSites } from '../src/sites/sites.js'
import type { DeviceState, StateEvent } from '../src/state/device-state.js'

export interface SitesBenchResult {
  devices: number
  locations: number
  cycles: number
  /** main-thread ms of one cycle's site detection + the three groupings, median and max */
  median_ms: number
  max_ms: number
  /** the same in CPU time of the process (user + system): what the cycle costs when the machine is shared */
  cpu_median_ms: number
  /** of which site detection alone (median) */
  detection_median_ms: number
  site_notices: number
}

const silent = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as any

/**
 * The per-cycle main-thread cost of src/sites/ at scale, timed directly over synthetic states (no
 * pings: the pool's cost is measured by the service runs): every cycle a few hundred devices change
 * state and, every few cycles, a whole location goes down or comes back, then the site verdicts
 * (sites.onChanges) and the groups by location, type and rack are computed as /api/ping/groups
 * would after that cycle.
 */
export function benchSites (devices = 50_000, locations = 1000, cycles = 21): SitesBenchResult {
  const dir = mkdtempSync(join(tmpdir(), 'mpm-sites-bench-'))
  try {
    const fleet: Device[] = []
    for (let i = 0; i < devices; i++) {
      const loc = i % locations
      fleet.push(makeDevice({
        device_id: i + 1,
        ip_address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        hostname: `d${i + 1}`,
        family: 4,
        location: { id: loc + 1, name: `Lokasi ${loc + 1}` },
        type: { id: (i % 7) + 1, name: `Jenis ${(i % 7) + 1}` },
        rack: `R${i % 40}`
      }))
    }
    const states = new Map<number, DeviceState>()
    for (const d of fleet) states.set(d.device_id, 'up')
    const sites = createSites({
      config: { SITE_DOWN_MIN: 3, SITE_DOWN_RATIO: 0.8, UPLINK_TYPE_IDS: '1', CSV_OUTPUT_DIR: dir, CSV_RETENTION_DAYS: 0 },
      log: silent,
      stateOf: (id) => states.get(id),
      maintenanceOf: () => NOT_IN_MAINTENANCE
    })
    sites.setDevices(fleet)
    const total: number[] = []
    const detection: number[] = []
    const cpu: number[] = []
    let notices = 0
    let seed = 1
    const rand = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff }
    for (let c = 0; c < cycles; c++) {
      const at = 1_700_000_000_000 + c * 5000
      const changes: StateEvent[] = []
      const flip = (d: Device, to: DeviceState) => {
        const from = states.get(d.device_id) ?? 'unknown'
        if (from === to) return
        states.set(d.device_id, to)
        changes.push({ device_id: d.device_id, ip_address: d.ip_address, hostname: d.hostname, from, to, at, reason: 'bench', consecutive_failures: 3, last_error: null, down_since: null })
      }
      for (let k = 0; k < 250; k++) {
        const d = fleet[Math.floor(rand() * devices)]
        flip(d, states.get(d.device_id) === 'up' ? 'down' : 'up')
      }
      // a whole location down on even cycles, back on odd ones
      const loc = Math.floor(c / 2) % locations
      for (let i = loc; i < devices; i += locations) flip(fleet[i], c % 2 === 0 ? 'down' : 'up')
      // the work the service does on the main thread after the cycle's states are applied
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      notices += sites.onChanges(changes, at).notices.length
      const t1 = performance.now()
      sites.cycle()
      for (const by of ['location', 'type', 'rack'] as const) sites.groups(by)
      const t2 = performance.now()
      const used = process.cpuUsage(c0)
      if (c === 0) continue // warm-up (JIT)
      cpu.push((used.user + used.system) / 1000)
      detection.push(t1 - t0)
      total.push(t2 - t0)
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
    return { devices, locations, cycles: total.length, median_ms: med(total), cpu_median_ms: med(cpu), max_ms: Math.max(...total), detection_median_ms: med(detection), site_notices: notices }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export function formatSitesBench (r: SitesBenchResult): string {
  return `sites: ${r.devices} devices in ${r.locations} locations, ${r.cycles} cycles: site detection + groups (location, type, rack) ` +
    `${r.median_ms.toFixed(2)} ms per cycle on the main thread (median wall time; CPU ${r.cpu_median_ms.toFixed(2)} ms; max ${r.max_ms.toFixed(2)} ms; ` +
    `detection alone ${r.detection_median_ms.toFixed(2)} ms; budget 20 ms)`
}
