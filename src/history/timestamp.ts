/**
 * Fast parse of the timestamps this service writes (2026-11-25T17:04:05.123+07:00). Rows of one cycle
 * share the date and time up to the second, so the costly part is cached; any other form falls back
 * to Date.parse. Returns NaN when unparseable.
 */
export class TimestampParser {
  private lastPrefix = ''
  private lastBase = 0

  parse (s: string): number {
    // YYYY-MM-DDTHH:mm:ss.SSS+HH:MM is 29 characters
    if (s.length !== 29 || s.charCodeAt(19) !== 46 /* . */) return Date.parse(s)
    const prefix = s.slice(0, 19)
    const zone = s.slice(23)
    const key = prefix + zone
    if (key !== this.lastPrefix) {
      const base = Date.parse(prefix + '.000' + zone)
      if (Number.isNaN(base)) return NaN
      this.lastPrefix = key
      this.lastBase = base
    }
    const ms = (s.charCodeAt(20) - 48) * 100 + (s.charCodeAt(21) - 48) * 10 + (s.charCodeAt(22) - 48)
    if (!(ms >= 0 && ms <= 999)) return Date.parse(s)
    return this.lastBase + ms
  }
}
