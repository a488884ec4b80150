import t from 'tap'
import { formatLocalIso } from '../../src/lib/local-time.js'

// the same format written out the slow way, from Date's own local-time fields
function reference (ms: number): string {
  const d = new Date(ms)
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  const off = -d.getTimezoneOffset()
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}${off >= 0 ? '+' : '-'}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`
}

t.test('formatLocalIso: repeated, increasing, decreasing and second-crossing times all give the reference string', async (t) => {
  const base = Date.UTC(2026, 11, 2, 13, 59, 59, 990)
  // bursts of the same ms (the cycle's common case), steps across the second and the minute, and back again
  const times = [base, base, base + 1, base + 1, base + 9, base + 10, base + 10, base + 11, base + 1000, base + 5, base, base + 86_400_000, 0, 999, 1000]
  for (const ms of times) t.equal(formatLocalIso(ms), reference(ms), String(ms))
})

t.test('formatLocalIso: every millisecond of a second', async (t) => {
  const base = Date.UTC(2026, 5, 30, 23, 59, 59)
  let wrong = 0
  for (let i = 0; i < 1000; i++) if (formatLocalIso(base + i) !== reference(base + i)) wrong++
  t.equal(wrong, 0)
})
