import type { AvailabilityAnswer, AvailabilityEntry, AvailabilityQuery } from '../availability/availability-query.js'
import type { NamedRef } from '../inventory/filter-inventory.js'
import { formatLocalIso } from '../lib/local-time.js'

/** A device as the report sees it now. */
export interface CurrentDevice {
  device_id: number
  hostname: string
  ip_address: string
  /** the state tracker's state ('up', 'down', 'flapping', 'unreachable', 'unknown') */
  state: string
  down_since: number | null
  location: NamedRef
  maintenance: boolean
}

export interface OverdueDevice {
  device_id: number
  hostname: string
  ip_address: string
  location: NamedRef
  until: string
}

export interface MonitorHealth {
  cycles: number
  overruns: number
  csv: { healthy: boolean, last_error: string | null, dropped_rows: number, pending_rows: number }
  inventory: { healthy: boolean, last_error: string | null, skipped_rows: number, devices: number }
}

export interface ReportInputs {
  query: (q: AvailabilityQuery) => AvailabilityAnswer
  devices: () => CurrentDevice[]
  /** issue 13's maintenance module: tenggat_maintenance passed while kondisi says maintenance */
  overdue: () => OverdueDevice[]
  health: () => MonitorHealth
  locationName: (id: number | null) => string
}

const DOWN_LIST_MAX = 50
const WORST = 10

export interface ReportFigures {
  period: { from: string, to: string }
  late: boolean
  devices: { total: number, up: number, down: number, unreachable: number, flapping: number, maintenance: number, unknown: number }
  down_now: Array<{ device_id: number, hostname: string, ip_address: string, since: string | null, location: NamedRef }>
  outages: { count: number, downtime_s: number, longest_s: number, mttr_s: number | null }
  availability_percent: number | null
  worst_locations: Array<{ location_id: number | null, name: string, availability_percent: number | null, down_s: number, outages: number }>
  flapping: Array<{ device_id: number, hostname: string, ip_address: string }>
  overdue_maintenance: OverdueDevice[]
  monitor: MonitorHealth & { cycles_in_period: number | null }
}

/** The period's outages from the same figures /availability gives per device. */
export function outageTotals (entries: AvailabilityEntry[]): ReportFigures['outages'] {
  let count = 0
  let downtime = 0
  let longest = 0
  for (const e of entries) {
    count += e.outages
    downtime += (e.mttr_s ?? 0) * e.outages
    longest = Math.max(longest, e.longest_outage_s)
  }
  const r3 = (x: number) => Math.round(x * 1000) / 1000
  return { count, downtime_s: r3(downtime), longest_s: longest, mttr_s: count > 0 ? r3(downtime / count) : null }
}

/** The figures and the text of one shift report over [fromMs, toMs). */
export function buildReport (inp: ReportInputs, fromMs: number, toMs: number, nowMs: number, late: boolean, previousCycles: number | null): { title: string, text: string, figures: ReportFigures } {
  const base = { fromMs, toMs, nowMs, maintenance: 'exclude' as const }
  const byDevice = inp.query({ ...base, groupBy: 'device' }).entries
  const byLocation = inp.query({ ...base, groupBy: 'location' }).entries
  let up = 0
  let down = 0
  for (const e of byDevice) { up += e.up_s; down += e.down_s }
  const devices = inp.devices()
  const count = { total: devices.length, up: 0, down: 0, unreachable: 0, flapping: 0, maintenance: 0, unknown: 0 }
  for (const d of devices) {
    if (d.maintenance) count.maintenance++
    else if (d.state === 'up' || d.state === 'down' || d.state === 'unreachable' || d.state === 'flapping') count[d.state]++
    else count.unknown++
  }
  const downNow = devices.filter((d) => !d.maintenance && (d.state === 'down' || (d.state === 'flapping' && d.down_since !== null)))
    .sort((a, b) => (a.down_since ?? 0) - (b.down_since ?? 0))
  const worst = byLocation.filter((e) => e.availability_percent !== null)
    .sort((a, b) => (a.availability_percent as number) - (b.availability_percent as number)).slice(0, WORST)
  const health = inp.health()
  const figures: ReportFigures = {
    period: { from: formatLocalIso(fromMs), to: formatLocalIso(toMs) },
    late,
    devices: count,
    down_now: downNow.map((d) => ({ device_id: d.device_id, hostname: d.hostname, ip_address: d.ip_address, since: d.down_since === null ? null : formatLocalIso(d.down_since), location: d.location })),
    outages: outageTotals(byDevice),
    availability_percent: up + down > 0 ? Math.round(up / (up + down) * 100_000) / 1000 : null,
    worst_locations: worst.map((e) => ({ location_id: e.key as number | null, name: inp.locationName(e.key as number | null), availability_percent: e.availability_percent, down_s: e.down_s, outages: e.outages })),
    flapping: devices.filter((d) => d.state === 'flapping').map((d) => ({ device_id: d.device_id, hostname: d.hostname, ip_address: d.ip_address })),
    overdue_maintenance: inp.overdue(),
    monitor: { ...health, cycles_in_period: previousCycles === null ? null : Math.max(0, health.cycles - previousCycles) }
  }
  const title = `Shift report ${figures.period.from.slice(0, 16)} – ${figures.period.to.slice(0, 16)}${late ? ' (late)' : ''}`
  return { title, text: reportText(title, figures), figures }
}

const dur = (s: number) => s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`

export function reportText (title: string, f: ReportFigures): string {
  const lines = [title]
  if (f.late) lines.push('Sent late: the service was not running at the report time.')
  const d = f.devices
  lines.push(`Devices: ${d.total} (up ${d.up}, down ${d.down}, unreachable ${d.unreachable}, flapping ${d.flapping}, maintenance ${d.maintenance}, unknown ${d.unknown})`)
  lines.push(`Availability: ${f.availability_percent === null ? 'no data' : `${f.availability_percent.toFixed(3)} %`}`)
  const o = f.outages
  lines.push(o.count === 0 ? 'Outages: none' : `Outages: ${o.count}, downtime ${dur(o.downtime_s)}, longest ${dur(o.longest_s)}, MTTR ${dur(o.mttr_s ?? 0)}`)
  if (f.down_now.length > 0) {
    lines.push(`Down now (${f.down_now.length}):`)
    for (const x of f.down_now.slice(0, DOWN_LIST_MAX)) lines.push(`- ${x.hostname} (${x.ip_address}) at ${x.location.name}, since ${x.since ?? '?'}`)
    if (f.down_now.length > DOWN_LIST_MAX) lines.push(`- and ${f.down_now.length - DOWN_LIST_MAX} more`)
  } else {
    lines.push('Down now: none')
  }
  if (f.worst_locations.length > 0) {
    lines.push('Worst locations:')
    for (const l of f.worst_locations) lines.push(`- ${l.name}: ${l.availability_percent?.toFixed(3) ?? '-'} % (${l.outages} outages)`)
  }
  if (f.flapping.length > 0) lines.push(`Flapping: ${f.flapping.map((x) => x.hostname).join(', ')}`)
  if (f.overdue_maintenance.length > 0) lines.push(`Overdue maintenance: ${f.overdue_maintenance.map((x) => `${x.hostname} (until ${x.until})`).join(', ')}`)
  const m = f.monitor
  const problems: string[] = []
  if (!m.csv.healthy) problems.push(`CSV writing failing (${String(m.csv.last_error)})`)
  if (m.csv.dropped_rows > 0) problems.push(`${m.csv.dropped_rows} results dropped`)
  if (!m.inventory.healthy) problems.push(`inventory unreachable (${String(m.inventory.last_error)})`)
  if (m.inventory.skipped_rows > 0) problems.push(`${m.inventory.skipped_rows} inventory rows skipped`)
  lines.push(`Monitor: ${m.cycles_in_period ?? m.cycles} cycles, ${m.overruns} overruns${problems.length > 0 ? '; ' + problems.join('; ') : '; no problems'}`)
  return lines.join('\n')
}
