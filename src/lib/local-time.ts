const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** ISO 8601 in local time with milliseconds and the UTC offset, e.g. 2026-11-25T17:04:05.123+07:00 */
export function formatLocalIso (ms: number): string {
  const d = new Date(ms)
  const off = -d.getTimezoneOffset()
  const sign = off >= 0 ? '+' : '-'
  const abs = Math.abs(off)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}

/** YYYYMMDD of the local date */
export function localDateKey (ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}`
}

/** Start of the local day named by a YYYYMMDD key, as epoch ms. */
export function dateKeyStart (key: string): number {
  return new Date(Number(key.slice(0, 4)), Number(key.slice(4, 6)) - 1, Number(key.slice(6, 8))).getTime()
}
