import type Database from 'better-sqlite3'
import { HOUR_MS } from './accounting.js'
import { DAY_MS, GROUPS_META, GROUP_KINDS } from './availability-store.js'
import { RTT_BINS, binColumns, binQuantile } from './rtt-bins.js'

export const GROUPS = ['device', 'location', 'type', 'rack'] as const
export type GroupBy = typeof GROUPS[number]
export const MAINTENANCE_MODES = ['exclude', 'include', 'down'] as const
export type MaintenanceMode = typeof MAINTENANCE_MODES[number]
export const WINDOWS = { '24h': 24, '7d': 7 * 24, '30d': 30 * 24, '90d': 90 * 24, '365d': 365 * 24 } as const
export type WindowName = keyof typeof WINDOWS

const COLUMN: Record<GroupBy, string> = { device: 'device_id', location: 'location_id', type: 'type_id', rack: 'rack' }
export const groupColumn = (g: GroupBy) => COLUMN[g]

export interface AvailabilityQuery {
  /** epoch ms; rounded down to the hour */
  fromMs: number
  /** epoch ms; rounded up to the hour */
  toMs: number
  /** the time now: the part of the window after it is neither monitored nor not monitored yet */
  nowMs: number
  groupBy: GroupBy
  deviceId?: number
  locationId?: number
  maintenance: MaintenanceMode
  /** sum the device rows even where group rows exist (tests compare the two ways) */
  fromDevices?: boolean
}

export interface AvailabilityEntry {
  key: number | string | null
  devices: number
  availability_percent: number | null
  up_s: number
  down_s: number
  unreachable_s: number
  maintenance_s: number
  not_monitored_s: number
  outages: number
  longest_outage_s: number
  mttr_s: number | null
  mtbf_s: number | null
  p50_ms: number | null
  p95_ms: number | null
}

export interface AvailabilityAnswer {
  from: number
  to: number
  entries: AvailabilityEntry[]
}

/** The window in whole hours: the hours that hold any of [fromMs, toMs). */
export function wholeHours (fromMs: number, toMs: number): { from: number, to: number } {
  return { from: Math.floor(fromMs / HOUR_MS) * HOUR_MS, to: Math.ceil(toMs / HOUR_MS) * HOUR_MS }
}

const r3 = (x: number) => Math.round(x * 1000) / 1000

/**
 * The group rows answer a location, type or rack query (with no filter but its own location) once the
 * store has them for every stored hour (a store from before them is backfilled at start).
 */
function usesGroupRows (db: Database.Database, q: AvailabilityQuery): boolean {
  if (q.fromDevices === true || q.groupBy === 'device' || q.deviceId !== undefined) return false
  if (q.locationId !== undefined && q.groupBy !== 'location') return false
  return db.prepare('SELECT 1 FROM meta WHERE key = ?').get(GROUPS_META) !== undefined
}

/**
 * Availability per device or group over whole hours, summed in SQL: the whole UTC days inside the
 * window from the daily tables, the hours at either edge from the hourly ones; per device from the
 * device rows, per group from the group rows (500 locations × 90 days instead of 10,000 devices × 90
 * days), which are the sums of the same device rows. A plain function over a connection, so that it
 * can run wherever the connection is.
 */
export function queryAvailability (db: Database.Database, q: AvailabilityQuery): AvailabilityAnswer {
  const { from, to } = wholeHours(q.fromMs, q.toMs)
  const col = COLUMN[q.groupBy]
  const filters: string[] = []
  const fargs: unknown[] = []
  if (q.deviceId !== undefined) { filters.push('device_id = ?'); fargs.push(q.deviceId) }
  if (q.locationId !== undefined) { filters.push('location_id = ?'); fargs.push(q.locationId) }
  const extra = filters.map((f) => ` AND ${f}`).join('')
  const firstDay = Math.ceil(from / DAY_MS) * DAY_MS
  const lastDay = Math.floor(to / DAY_MS) * DAY_MS
  const sums = ['up_s', 'down_s', 'unreachable_s', 'maintenance_s', 'sent', 'answered', 'rtt_sum', ...binColumns].map((c) => `SUM(${c}) AS ${c}`).join(', ')
  const figures = `up_s, down_s, unreachable_s, maintenance_s, sent, answered, rtt_sum, ${binColumns.join(', ')}`
  /** the whole UTC days inside the window from `daily`, the hours at either edge from `hourly` */
  const spans = (hourly: string, daily: string, fields: string, where: string, wargs: unknown[]): { sql: string, args: unknown[] } => {
    const parts: string[] = []
    const args: unknown[] = []
    const hours = (a: number, b: number) => {
      if (a >= b) return
      parts.push(`SELECT ${fields} FROM ${hourly} WHERE hour >= ? AND hour < ?${where}`)
      args.push(a, b, ...wargs)
    }
    if (firstDay < lastDay) {
      hours(from, firstDay)
      parts.push(`SELECT ${fields} FROM ${daily} WHERE day >= ? AND day < ?${where}`)
      args.push(firstDay, lastDay, ...wargs)
      hours(lastDay, to)
    } else {
      hours(from, to)
    }
    return { sql: parts.join(' UNION ALL '), args }
  }
  let rows: any[]
  if (usesGroupRows(db, q)) {
    // one row per group and day (or edge hour), with the ids of its devices for the distinct count
    const where = ` AND kind = ${GROUP_KINDS[q.groupBy as keyof typeof GROUP_KINDS]}${q.locationId !== undefined ? ' AND key = ?' : ''}`
    const u = spans('group_rollups', 'group_rollups_daily', `key AS g, ids, ${figures}`, where, q.locationId !== undefined ? [q.locationId] : [])
    rows = db.prepare(`SELECT g, group_concat(DISTINCT ids) AS ids, ${sums} FROM (${u.sql}) GROUP BY g`).all(...u.args) as any[]
    for (const r of rows) {
      // the same devices in every day and hour of the window make one distinct list, so this is short
      r.devices = new Set((r.ids as string).split(',')).size
      r.ids = undefined
    }
  } else {
    const u = spans('rollups', 'rollups_daily', `device_id, ${col} AS g, ${figures}`, extra, fargs)
    rows = db.prepare(`SELECT g, COUNT(DISTINCT device_id) AS devices, ${sums} FROM (${u.sql}) GROUP BY g`).all(...u.args) as any[]
  }

  // outages that began in the window; unreachable ones are their uplink's; in maintenance they count only with maintenance=down
  const owhere = ['start_at >= ?', 'start_at < ?', "cause != 'unreachable'"]
  if (q.maintenance !== 'down') owhere.push('maintenance = 0')
  const out = db.prepare(`SELECT g, COUNT(*) AS n, SUM(d) AS total, MAX(d) AS longest FROM (
    SELECT ${col} AS g, MIN(COALESCE(end_at, ?), ?) - start_at AS d FROM outages WHERE ${owhere.join(' AND ')}${extra}) GROUP BY g`)
    .all(q.nowMs, Math.max(q.nowMs, to), from, to, ...fargs) as any[]
  const outages = new Map<unknown, { n: number, total: number, longest: number }>()
  for (const o of out) outages.set(o.g, o)

  const windowS = Math.max(0, Math.min(to, Math.max(q.nowMs, from)) - from) / 1000
  const entries: AvailabilityEntry[] = []
  const seen = new Set<unknown>()
  const hist = new Array<number>(RTT_BINS)
  const make = (r: any | null, key: unknown): AvailabilityEntry => {
    const up = r?.up_s ?? 0
    const down = r?.down_s ?? 0
    const unreachable = r?.unreachable_s ?? 0
    const maint = r?.maintenance_s ?? 0
    const devices = r?.devices ?? 0
    const good = q.maintenance === 'include' ? up + maint : up
    const total = q.maintenance === 'exclude' ? up + down : up + down + maint
    const o = outages.get(key)
    const n = o?.n ?? 0
    for (let b = 0; b < RTT_BINS; b++) hist[b] = r?.[binColumns[b]] ?? 0
    return {
      key: key as number | string | null,
      devices,
      availability_percent: total > 0 ? r3(good / total * 100) : null,
      up_s: r3(up),
      down_s: r3(down),
      unreachable_s: r3(unreachable),
      maintenance_s: r3(maint),
      not_monitored_s: r3(Math.max(0, devices * windowS - up - down - unreachable - maint)),
      outages: n,
      longest_outage_s: r3((o?.longest ?? 0) / 1000),
      mttr_s: n > 0 ? r3((o?.total ?? 0) / 1000 / n) : null,
      mtbf_s: n > 0 ? r3(good / n) : null,
      p50_ms: binQuantile(hist, 0.5),
      p95_ms: binQuantile(hist, 0.95)
    }
  }
  for (const r of rows) {
    seen.add(r.g)
    entries.push(make(r, r.g))
  }
  for (const o of out) if (!seen.has(o.g)) entries.push(make(null, o.g))
  entries.sort((a, b) => a.key === b.key ? 0 : a.key === null ? 1 : b.key === null ? -1 : a.key < b.key ? -1 : 1)
  return { from, to, entries }
}

export const AVAILABILITY_CSV_FIELDS = ['devices', 'availability_percent', 'up_s', 'down_s', 'unreachable_s', 'maintenance_s', 'not_monitored_s', 'outages', 'longest_outage_s', 'mttr_s', 'mtbf_s', 'p50_ms', 'p95_ms'] as const
