import Papa from 'papaparse'
import type { Static } from 'typebox'
import type { EventSchema } from '../schemas/events.js'
import { formatLocalIso } from '../lib/local-time.js'
import { cleanCsvText } from '../storage/result-row.js'
import type { DeviceState, StateEvent } from './device-state.js'

/** One state change as stored in state_events_YYYYMMDD.csv and served by /api/ping/events. */
export type EventRow = Static<typeof EventSchema>

export const EVENT_COLUMNS = ['at', 'device_id', 'ip_address', 'hostname', 'from', 'to', 'reason'] as const
export const EVENT_HEADER = EVENT_COLUMNS.join(',') + '\n'
export const EVENT_PREFIX = 'state_events'
const STATES = new Set<string>(['unknown', 'up', 'down', 'flapping', 'unreachable'])

export function toEventRow (e: StateEvent): EventRow {
  return { at: formatLocalIso(e.at), device_id: e.device_id, ip_address: e.ip_address, hostname: e.hostname, from: e.from, to: e.to, reason: e.reason }
}

// as for result rows: one event is always one line, so a torn tail can be cut at the last newline
const clean = cleanCsvText

/** CSV lines (each ending in \n); quoting by papaparse, as for result rows. */
export function formatEventRows (rows: EventRow[]): string {
  if (rows.length === 0) return ''
  const data = rows.map((r) => [r.at, String(r.device_id), clean(r.ip_address), clean(r.hostname), r.from, r.to, clean(r.reason)])
  return Papa.unparse(data, { header: false, newline: '\n', quotes: false }) + '\n'
}

/** One record (papaparse strings) back into an event, or null if malformed. */
export function parseEventRecord (rec: string[]): EventRow | null {
  if (rec.length !== EVENT_COLUMNS.length) return null
  const [at, id, ip, host, from, to, reason] = rec
  const device_id = Number(id)
  if (!Number.isSafeInteger(device_id) || !STATES.has(from) || !STATES.has(to) || Number.isNaN(Date.parse(at))) return null
  return { at, device_id, ip_address: ip, hostname: host, from: from as DeviceState, to: to as DeviceState, reason }
}
