const pad = (n: number, w = 2) => String(n).padStart(w, '0')

// results of one cycle fall within a few seconds: the part up to the second is formatted once
let cachedSecond = NaN
let cachedHead = ''
let cachedZone = ''
// and arrive in bursts (fping answers thousands of loopback or LAN devices within a few ms, in the
// order they were sent, which is the order the cycle formats them in): the last string is kept too
let cachedMs = NaN
let cachedIso = ''
const MILLIS = Array.from({ length: 1000 }, (_, i) => pad(i, 3))

/** ISO 8601 in local time with milliseconds and the UTC offset, e.g. 2026-11-25T17:04:05.123+07:00 */
export function formatLocalIso (ms: number): string {
  if (ms === cachedMs) return cachedIso
  const second = Math.floor(ms / 1000)
  if (second !== cachedSecond) {
    const full = formatLocalIsoUncached(second * 1000)
    cachedSecond = second
    cachedHead = full.slice(0, 20)
    cachedZone = full.slice(23)
  }
  const millis = ms - second * 1000
  // a whole number of ms in 0..999 from the table; anything else (fractions) as before
  const iso = cachedHead + (MILLIS[millis] ?? pad(millis, 3)) + cachedZone
  cachedMs = ms
  cachedIso = iso
  return iso
}

function formatLocalIsoUncached (ms: number): string {
  const d = new Date(ms)
  const off = -d.getTimezoneOffset()
  const sign = off >= 0 ? '+' : '-'
  const abs = Math.abs(off)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}

let cachedDayStart = NaN
let cachedDayEnd = NaN
let cachedDayKey = ''

/** YYYYMMDD of the local date */
export function localDateKey (ms: number): string {
  if (ms >= cachedDayStart && ms < cachedDayEnd) return cachedDayKey
  const key = localDateKeyUncached(ms)
  cachedDayStart = dateKeyStart(key)
  const d = new Date(cachedDayStart)
  cachedDayEnd = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime()
  cachedDayKey = key
  return key
}

function localDateKeyUncached (ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}`
}

/** Start of the local day named by a YYYYMMDD key, as epoch ms. */
export function dateKeyStart (key: string): number {
  return new Date(Number(key.slice(0, 4)), Number(key.slice(4, 6)) - 1, Number(key.slice(6, 8))).getTime()
}
