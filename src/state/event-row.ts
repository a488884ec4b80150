import type { Static } from 'typebox'
import type { EventSchema } from '../schemas/events.js'
import { formatLocalIso } from '../lib/local-time.js'
import { csvField, csvTextField } from '../storage/result-row.js'
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

/**
 * CSV lines (each ending in \n), quoted exactly as papaparse's unparse quotes them, as for result rows
 * (one event is always one line: control characters in the texts become spaces, so a torn tail can
 * be cut at the last newline). By hand for the reason result rows are: the cycle in which a site goes
 * down writes thousands of events, and unparse cost about 10 µs per row there (a profile at 10,000
 * devices: 10 ms of a cycle's main thread for 1,000 events); test/state/event-log.test.ts holds the
 * output to unparse's.
 */
export function formatEventRows (rows: EventRow[]): string {
  let out = ''
  for (const r of rows) {
    out += csvField(r.at) + ',' + String(r.device_id) + ',' + csvTextField(r.ip_address) + ',' + csvTextField(r.hostname) + ',' +
      csvField(r.from) + ',' + csvField(r.to) + ',' + csvTextField(r.reason) + '\n'
  }
  return out
}

/** One record (papaparse strings) back into an event, or null if malformed. */
export function parseEventRecord (rec: string[]): EventRow | null {
  if (rec.length !== EVENT_COLUMNS.length) return null
  const [at, id, ip, host, from, to, reason] = rec
  const device_id = Number(id)
  if (!Number.isSafeInteger(device_id) || !STATES.has(from) || !STATES.has(to) || Number.isNaN(Date.parse(at))) return null
  return { at, device_id, ip_address: ip, hostname: host, from: from as DeviceState, to: to as DeviceState, reason }
}
