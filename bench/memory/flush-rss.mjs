// The availability flush alone: DEVICES devices' rows of 6 cycles (10 s apart) written to a fresh
// store, FLUSHES times; each flush's time and the process's RSS before and after it (README issue 17).
//   node --expose-gc bench/memory/flush-rss.mjs TREE [DEVICES] [FLUSHES]
// `--cpu-prof` on the same line shows where a flush's time goes (upserts, regrouping).
import { rmSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
const [tree, devices = '50000', flushes = '3'] = process.argv.slice(2)
const { createAvailability } = await import(`${tree}/dist/src/availability/availability-service.js`)
const { StateTable } = await import(`${tree}/dist/src/state/state-table.js`)
const { cycleOfRows } = await import(`${tree}/dist/src/monitor/cycle.js`)
const SETTINGS = { downAfterFailures: 3, upAfterSuccesses: 1, flapWindow: 10, flapChanges: 4 }
const file = join(tmpdir(), `mpm-flush-rss-${process.pid}.sqlite`)
const rss = () => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024)
const table = new StateTable(SETTINGS)
let now = Date.parse('2026-12-03T10:00:00Z')
const quiet = { info () {}, warn () {}, error () {}, debug () {} }
const avail = createAvailability({ file, days: 400, intervalS: 10, csvDir: join(tmpdir(), 'mpm-flush-rss-none'), stateSettings: SETTINGS, log: quiet, now: () => now, stateOf: (id) => table.get(id)?.snapshot(), flushEveryMs: 3_600_000 })
avail.start()
const n = Number(devices)
avail.stage.inventory?.(Array.from({ length: n }, (_, i) => ({ device_id: i + 1, location: { id: (i + 1) % 500, name: '' }, type: { id: (i + 1) % 7, name: '' }, rack: `R${(i + 1) % 40}` })))
const out = []
for (let f = 0; f < Number(flushes); f++) {
  for (let c = 0; c < 6; c++) {
    now += 10000
    const rows = []
    for (let id = 1; id <= n; id++) {
      const ok = !(id % 20 === 0 && c % 10 < 5)
      rows.push({ at: now, row: { timestamp: '', device_id: id, ip_address: '', hostname: '', ping_success: ok, response_time_ms: ok ? 1.3 : null, error_message: '' } })
      table.apply({ device_id: id, ip_address: '', hostname: '', success: ok, error: '', at: now })
    }
    avail.stage.cycle?.(cycleOfRows(rows, n), {})
  }
  globalThis.gc?.()
  const r0 = rss()
  const t0 = performance.now()
  await avail.flush()
  out.push(`flush ${f + 1}: ${Math.round(performance.now() - t0)} ms, rss ${r0} -> ${rss()} MB`)
}
await avail.close()
for (const s of ['', '-wal', '-shm']) rmSync(file + s, { force: true })
console.log(out.join('; '))
