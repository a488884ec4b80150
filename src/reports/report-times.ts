/** REPORT_TIMES ('08:00,16:00,00:00', local time) as minutes after local midnight, sorted; [] = off. */
export function parseReportTimes (value: string): number[] {
  const out = new Set<number>()
  for (const part of value.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(part)
    if (m === null) throw new Error(`not a time of day (HH:MM): ${part}`)
    out.add(Number(m[1]) * 60 + Number(m[2]))
  }
  return [...out].sort((a, b) => a - b)
}

/** The report times in (afterMs, untilMs], oldest first, as epoch ms of local time (DST-safe: from the local date). */
export function slotsBetween (times: number[], afterMs: number, untilMs: number): number[] {
  if (times.length === 0 || untilMs <= afterMs) return []
  const out: number[] = []
  const d = new Date(afterMs)
  const day = new Date(d.getFullYear(), d.getMonth(), d.getDate())
  for (let i = 0; ; i++) {
    const y = day.getFullYear()
    const mo = day.getMonth()
    const dd = day.getDate() + i
    const start = new Date(y, mo, dd).getTime()
    if (start > untilMs) break
    for (const t of times) {
      const at = new Date(y, mo, dd, Math.floor(t / 60), t % 60).getTime()
      if (at > afterMs && at <= untilMs) out.push(at)
    }
  }
  return out
}

/** The latest report time at or before `ms` (looks back at most two days), or null when off. */
export function slotAtOrBefore (times: number[], ms: number): number | null {
  const s = slotsBetween(times, ms - 2 * 86_400_000, ms)
  return s.length === 0 ? null : s[s.length - 1]
}
