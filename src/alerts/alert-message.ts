import { formatLocalIso } from '../lib/local-time.js'
import type { StateEvent } from '../state/device-state.js'
import type { Notice } from './notice.js'

export type AlertFormat = 'json' | 'slack' | 'discord'

/** What a receiver learns about one state change (the `json` format's fields). */
export interface AlertEvent {
  device_id: number
  ip: string
  hostname: string
  from: StateEvent['from']
  to: StateEvent['to']
  at: string
  consecutive_failures: number
  last_error: string | null
  down_since: string | null
  reason: string
}

/** One message to send: a single change, or the changes of one cycle together. */
export type AlertMessage =
  | { kind: 'single', event: StateEvent }
  | { kind: 'batch', events: StateEvent[] }

/** Most events listed in one batch's `json` body; the count says how many there were. */
export const BATCH_EVENTS_MAX = 500
/** Most device names named per group in a batch's text. */
const NAMES_MAX = 10
// Discord rejects content over 2000 characters; Slack truncates long text anyway
const TEXT_MAX = { json: 4000, slack: 3000, discord: 2000 } as const

/**
 * Which changes are worth telling someone: all except a device's first state being up (a service
 * start or a new device is not news).
 */
export function isAlertable (e: StateEvent): boolean {
  return !(e.from === 'unknown' && e.to === 'up')
}

/**
 * The messages for one cycle's changes: one per change, or a single batch message when more than
 * `batchMin` devices changed at once (an outage of a whole site is one message, not hundreds).
 */
export function planMessages (events: StateEvent[], batchMin: number): AlertMessage[] {
  const alertable = events.filter(isAlertable)
  if (alertable.length === 0) return []
  if (alertable.length > batchMin) return [{ kind: 'batch', events: alertable }]
  return alertable.map((event) => ({ kind: 'single', event }))
}

export function toAlertEvent (e: StateEvent): AlertEvent {
  return {
    device_id: e.device_id,
    ip: e.ip_address,
    hostname: e.hostname,
    from: e.from,
    to: e.to,
    at: formatLocalIso(e.at),
    consecutive_failures: e.consecutive_failures,
    last_error: e.last_error === '' ? null : e.last_error,
    down_since: e.down_since === null ? null : formatLocalIso(e.down_since),
    reason: e.reason
  }
}

const name = (e: StateEvent) => e.hostname === '' || e.hostname === e.ip_address ? e.ip_address : `${e.hostname} (${e.ip_address})`

/** "3h 5m", "5m 12s", "40s" */
export function formatDuration (ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  if (d > 0) return `${d}d ${h}h`
  if (h > 0) return `${h}h ${m}m`
  if (m > 0) return `${m}m ${sec}s`
  return `${sec}s`
}

/** The human sentence for one change. */
export function eventText (e: StateEvent): string {
  const n = name(e)
  const when = formatLocalIso(e.at)
  switch (e.to) {
    case 'down': {
      const err = e.last_error === null || e.last_error === '' ? '' : ` (${e.last_error})`
      const since = e.down_since === null ? '' : ` since ${formatLocalIso(e.down_since)}`
      return e.from === 'flapping'
        ? `[DOWN] ${n} stopped flapping and is down${since}${err}`
        : `[DOWN] ${n} is down${since}: ${e.consecutive_failures} failed pings in a row${err}`
    }
    case 'up':
      if (e.from === 'flapping') return `[UP] ${n} stopped flapping and is up (${when})`
      return e.down_since === null
        ? `[UP] ${n} is up (${when})`
        : `[UP] ${n} is up again after ${formatDuration(e.at - e.down_since)} down (${when})`
    case 'flapping':
      return `[FLAPPING] ${n} is flapping: ${e.reason}; no further alerts for it until it is stable (${when})`
    default:
      return `[${e.to.toUpperCase()}] ${n}: ${e.reason} (${when})`
  }
}

/** The human summary of a batch, grouped by new state. */
export function batchText (events: StateEvent[]): string {
  const groups = new Map<string, StateEvent[]>()
  for (const e of events) {
    const g = groups.get(e.to) ?? []
    g.push(e)
    groups.set(e.to, g)
  }
  const parts: string[] = []
  for (const to of ['down', 'flapping', 'up', 'unknown']) {
    const g = groups.get(to)
    if (g === undefined) continue
    const names = g.slice(0, NAMES_MAX).map(name).join(', ')
    parts.push(`${g.length} ${to}: ${names}${g.length > NAMES_MAX ? ` and ${g.length - NAMES_MAX} more` : ''}`)
  }
  return `[${events.length} devices changed state] ${parts.join('; ')} (${formatLocalIso(events[0].at)})`
}

export function messageText (m: AlertMessage): string {
  return m.kind === 'single' ? eventText(m.event) : batchText(m.events)
}

const truncate = (s: string, max: number) => s.length <= max ? s : s.slice(0, max - 1) + '…'

// Slack reads &, < and > as markup (<!channel> would notify everyone): escape them
const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** The request body for one message in the receiver's format. */
export function buildPayload (m: AlertMessage, format: AlertFormat): Record<string, unknown> {
  const text = messageText(m)
  if (format === 'slack') return { text: truncate(slackEscape(text), TEXT_MAX.slack) }
  // no @everyone, role or user pings from device names
  if (format === 'discord') return { content: truncate(text, TEXT_MAX.discord), allowed_mentions: { parse: [] } }
  if (m.kind === 'single') return { type: 'state_change', ...toAlertEvent(m.event), text: truncate(text, TEXT_MAX.json) }
  return {
    type: 'state_changes',
    at: formatLocalIso(m.events[0].at),
    count: m.events.length,
    text: truncate(text, TEXT_MAX.json),
    events: m.events.slice(0, BATCH_EVENTS_MAX).map(toAlertEvent),
    omitted: Math.max(0, m.events.length - BATCH_EVENTS_MAX)
  }
}

const briefName = (d: { hostname: string, ip_address: string }) => d.hostname === '' || d.hostname === d.ip_address ? d.ip_address : `${d.hostname} (${d.ip_address})`
const listNames = (ds: Array<{ hostname: string, ip_address: string }>) =>
  ds.slice(0, NAMES_MAX).map(briefName).join(', ') + (ds.length > NAMES_MAX ? ` and ${ds.length - NAMES_MAX} more` : '')

/** The human sentence for a notice other than a device state change. */
export function noticeText (n: Notice): string {
  const when = formatLocalIso(n.at)
  switch (n.event) {
    case 'site_down':
      return `[SITE DOWN] ${n.location.name} down: ${n.down} of ${n.total} devices (${when}): ${listNames(n.devices)}`
    case 'site_up': {
      const after = n.down_since === null ? '' : ` after ${formatDuration(n.at - n.down_since)}`
      const still = n.devices.length === 0 ? '' : `; still down: ${listNames(n.devices)}`
      return `[SITE UP] ${n.location.name} is back${after} (${when})${still}`
    }
    case 'maintenance_overdue':
      return `[MAINTENANCE OVERDUE] ${n.devices.length} device(s) past their maintenance date: ` +
        n.devices.slice(0, NAMES_MAX).map((d) => `${briefName(d)} at ${d.location.name} (until ${d.until})`).join(', ') +
        (n.devices.length > NAMES_MAX ? ` and ${n.devices.length - NAMES_MAX} more` : '')
    case 'report':
      return `${n.title}\n${n.text}`
    case 'test':
      return `[TEST] ${n.text} (${when})`
  }
}

/** The request body for a notice in the receiver's format; `json` carries the figures beside the text. */
export function buildNoticePayload (n: Notice, format: AlertFormat): Record<string, unknown> {
  const text = noticeText(n)
  if (format === 'slack') return { text: truncate(slackEscape(text), TEXT_MAX.slack) }
  if (format === 'discord') return { content: truncate(text, TEXT_MAX.discord), allowed_mentions: { parse: [] } }
  return { ...n, type: n.event, at: formatLocalIso(n.at), text: truncate(text, TEXT_MAX.json) }
}
