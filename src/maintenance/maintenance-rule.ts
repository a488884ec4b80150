import type { Device } from '../inventory/filter-inventory.js'
import { formatLocalIso } from '../lib/local-time.js'
import { NOT_IN_MAINTENANCE, type MaintenanceStatus } from '../schemas/device-facts.js'
import type { WindowScope } from '../schemas/maintenance.js'

/** A maintenance window made by an operator (POST /api/maintenance), times as epoch ms. */
export interface MaintenanceWindow {
  id: number
  scope: WindowScope
  /** active from start (inclusive) ... */
  start: number
  /** ... to end (exclusive); DELETE sets it to the time of the request */
  end: number
  reason: string
  created_at: number
  /** when DELETE ended it early, null otherwise */
  ended_at: number | null
}

/** A window with its scope as sets: a device is checked in O(1), not by scanning its lists. */
export interface CompiledWindow {
  window: MaintenanceWindow
  covers: (d: Device) => boolean
}

export function compileWindow (w: MaintenanceWindow): CompiledWindow {
  const s = w.scope
  if (s === 'all') return { window: w, covers: () => true }
  if ('device_ids' in s) {
    const ids = new Set(s.device_ids)
    return { window: w, covers: (d) => ids.has(d.device_id) }
  }
  if ('location_ids' in s) {
    const ids = new Set(s.location_ids)
    return { window: w, covers: (d) => d.location.id !== null && ids.has(d.location.id) }
  }
  const ids = new Set(s.type_ids)
  return { window: w, covers: (d) => d.type.id !== null && ids.has(d.type.id) }
}

export const isWindowActive = (w: MaintenanceWindow, now: number): boolean => w.start <= now && now < w.end

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/**
 * The first instant after the local day named by YYYY-MM-DD (process time zone), or null for a
 * value that is not a real date. Built from the calendar fields rather than 24 h after midnight, so a
 * day of 23 or 25 hours (daylight saving time) still ends at the next local midnight.
 */
export function endOfLocalDay (date: string): number | null {
  const m = DATE.exec(date)
  if (m === null) return null
  const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])]
  const start = new Date(y, mo, d)
  if (start.getFullYear() !== y || start.getMonth() !== mo || start.getDate() !== d) return null
  return new Date(y, mo, d + 1).getTime()
}

/**
 * What kondisi says, at `now`: null when the device is not in maintenance by kondisi. With a date,
 * in maintenance until the end of that local day; with none, until kondisi changes. After the day,
 * still in maintenance (silent: the operator has not released it) but `overdue`.
 */
export function kondisiEnd (d: Device, endOf: (date: string) => number | null = endOfLocalDay): { end: number | null } | null {
  if (d.kondisi !== 'maintenance') return null
  return { end: d.maintenance_until === null ? null : endOf(d.maintenance_until) }
}

/**
 * The maintenance status of one device at `now`, from kondisi and the windows that cover it.
 * - active: kondisi says maintenance (overdue or not), or an active window covers it;
 * - source: 'kondisi' whenever kondisi says maintenance (the inventory is the primary record), else 'window';
 * - until: the latest end of what applies (null when kondisi has no date: it ends when kondisi
 *   changes); shown as the last millisecond of the day for kondisi dates, as the window end otherwise;
 * - overdue: kondisi still says maintenance after the end of its tenggat_maintenance day.
 */
export function maintenanceStatus (d: Device, now: number, windows: readonly CompiledWindow[], endOf: (date: string) => number | null = endOfLocalDay, make: StatusMaker = newStatus): MaintenanceStatus {
  const k = kondisiEnd(d, endOf)
  let windowEnd = -Infinity
  for (const w of windows) {
    if (isWindowActive(w.window, now) && w.window.end > windowEnd && w.covers(d)) windowEnd = w.window.end
  }
  if (k === null) return windowEnd === -Infinity ? NOT_IN_MAINTENANCE : make('window', windowEnd, false)
  if (k.end === null) return make('kondisi', null, false)
  // the kondisi day is shown as its last millisecond (…T23:59:59.999), which reads as "that day"
  return make('kondisi', windowEnd > k.end ? windowEnd : k.end - 1, now >= k.end)
}

/** An active status from its parts; `until` as epoch ms (null: open-ended). */
export type StatusMaker = (source: 'kondisi' | 'window', until: number | null, overdue: boolean) => MaintenanceStatus

const newStatus: StatusMaker = (source, until, overdue) => ({ active: true, source, until: until === null ? null : formatLocalIso(until), overdue })

/**
 * A StatusMaker that hands out one shared (frozen) object per distinct status: the devices of one
 * window share one, so recomputing 50,000 of them formats a handful of dates, not 50,000.
 */
export function sharedStatuses (): StatusMaker {
  // one map per source and overdue flag, keyed by the end: no key string built per device
  const caches = [new Map<number | null, MaintenanceStatus>(), new Map<number | null, MaintenanceStatus>(), new Map<number | null, MaintenanceStatus>()]
  return (source, until, overdue) => {
    const cache = caches[source === 'window' ? 0 : overdue ? 2 : 1]
    let s = cache.get(until)
    if (s === undefined) {
      s = Object.freeze(newStatus(source, until, overdue))
      cache.set(until, s)
    }
    return s
  }
}

/**
 * The first time after `now` at which some device's maintenance status may change: a window start
 * or end, or the end of a kondisi day. Infinity when nothing is scheduled. Between now and then, the
 * set of devices in maintenance is what it is now (unless the inventory or the windows change).
 */
export function nextBoundary (devices: readonly Device[], windows: readonly MaintenanceWindow[], now: number, endOf: (date: string) => number | null = endOfLocalDay): number {
  let next = Infinity
  for (const w of windows) {
    if (w.start > now && w.start < next) next = w.start
    if (w.end > now && w.end < next) next = w.end
  }
  for (const d of devices) {
    if (d.kondisi !== 'maintenance' || d.maintenance_until === null) continue
    const end = endOf(d.maintenance_until)
    if (end !== null && end > now && end < next) next = end
  }
  return next
}

/** endOfLocalDay with one computation per distinct date (50,000 devices share a few dates). */
export function cachedEndOfDay (): (date: string) => number | null {
  const cache = new Map<string, number | null>()
  return (date) => {
    let v = cache.get(date)
    if (v === undefined && !cache.has(date)) {
      v = endOfLocalDay(date)
      cache.set(date, v)
    }
    return v ?? null
  }
}
