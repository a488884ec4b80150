import { BadMaintenance } from '../errors.js'
import { DURATION_MINUTES_MAX, type WindowRequest, type WindowScope } from '../schemas/maintenance.js'

export interface PlannedWindow {
  scope: WindowScope
  start: number
  end: number
  reason: string
}

// ISO 8601 date and time, seconds and fraction optional, offset optional (without one: local time,
// as ECMAScript reads it). Checked field by field: Date.parse alone takes 2026-02-30 as 2 March.
const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))?$/

/** epoch ms of an ISO 8601 date-time, or null when it is not one (or not a real calendar time). */
export function parseIsoTime (text: string): number | null {
  const m = ISO.exec(text)
  if (m === null) return null
  const [y, mo, d, h, mi, s, oh, om] = m.slice(1).map((v) => v === undefined ? 0 : Number(v))
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate()
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth || h > 23 || mi > 59 || s > 59 || oh > 23 || om > 59) return null
  const ms = Date.parse(text)
  return Number.isFinite(ms) ? ms : null
}

/**
 * The window a request asks for, at `now`, or a BadMaintenance (400) saying what is wrong. The shape
 * (fields, types, lengths) was checked by the route's schema; this checks what a schema cannot.
 */
export function planWindow (req: WindowRequest, now: number): PlannedWindow {
  const time = (field: 'start' | 'end', text: string) => {
    const ms = parseIsoTime(text)
    if (ms === null) throw new BadMaintenance(`body/${field} is not an ISO 8601 date and time (e.g. 2026-12-02T22:00:00+07:00): ${JSON.stringify(text)}`)
    return ms
  }
  const start = req.start === undefined ? now : time('start', req.start)
  if (req.end !== undefined && req.duration_minutes !== undefined) throw new BadMaintenance('give body/end or body/duration_minutes, not both')
  if (req.end === undefined && req.duration_minutes === undefined) throw new BadMaintenance('body/end or body/duration_minutes is required')
  const end = req.end !== undefined ? time('end', req.end) : start + (req.duration_minutes as number) * 60_000
  if (end <= start) throw new BadMaintenance('body/end must be after body/start')
  if (end <= now) throw new BadMaintenance('the window would already be over (body/end is in the past)')
  if (end - start > DURATION_MINUTES_MAX * 60_000) throw new BadMaintenance(`a window lasts at most ${DURATION_MINUTES_MAX / 1440} days`)
  const reason = req.reason.trim()
  if (reason === '') throw new BadMaintenance('body/reason must not be blank')
  return { scope: req.scope, start, end, reason }
}
