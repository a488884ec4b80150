// Text for people: durations, times, milliseconds, percentages.
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium', hour12: false })

export const DASH = '–'

export function clockTime (iso) {
  if (iso === null || iso === undefined) return DASH
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? DASH : timeFmt.format(d)
}

export function fullTime (iso) {
  if (iso === null || iso === undefined) return ''
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? '' : dateTimeFmt.format(d)
}

/** "4 s", "12 min", "3 h 5 min", "2 d 4 h" */
export function duration (ms) {
  if (!Number.isFinite(ms)) return DASH
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min`
  const h = Math.floor(m / 60)
  if (h < 24) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`
  const d = Math.floor(h / 24)
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`
}

export function ago (iso, now = Date.now()) {
  if (iso === null || iso === undefined) return 'never'
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return DASH
  return `${duration(now - t)} ago`
}

export function ms (v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH
  if (v < 1) return `${v.toFixed(2)} ms`
  if (v < 100) return `${v.toFixed(1)} ms`
  return `${Math.round(v)} ms`
}

export function cycleDuration (v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH
  return v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(v < 10_000 ? 2 : 1)} s`
}

export function percent (v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH
  if (v === 0 || v === 100) return `${v} %`
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} %`
}

export function count (n) {
  return Number.isFinite(n) ? n.toLocaleString() : DASH
}

/** availability as the API gives it (3 decimals, "99.306 %"): the digits that an SLA is argued over */
export function availability (v) {
  return v === null || v === undefined || !Number.isFinite(v) ? DASH : `${v} %`
}
