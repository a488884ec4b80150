import t from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AvailabilityStore } from '../../src/availability/availability-store.js'
import { queryAvailability } from '../../src/availability/availability-query.js'
import { rebuildFromCsv } from '../../src/availability/rebuild.js'
import { localDateKey, formatLocalIso } from '../../src/lib/local-time.js'
import { CSV_HEADER, formatCsvRows, type ResultRow } from '../../src/storage/result-row.js'
import { csvFileName } from '../../src/storage/csv-files.js'
import { tempDir } from '../helper.js'
import { INTERVAL_S, SETTINGS, Sim } from './simulate.js'

process.env.TZ = 'Asia/Jakarta'
const at = (local: string) => Date.parse(`${local}+07:00`)
const log = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as any

// all up from 2026-11-29 20:00 to 2026-12-01 04:00 local, except device 1 down 23:55-00:05 across
// the day change and the month change
const FROM = at('2026-11-29T20:00:00')
const TO = at('2026-12-01T04:00:00')
const downFrom = at('2026-11-30T23:55:00')
const downTo = at('2026-12-01T00:05:00')
const ok = (id: number, ms: number) => !(id === 1 && ms >= downFrom && ms < downTo)
const rtt = (id: number, ms: number) => Math.round((1 + (ms / 5000) % 7 + id) * 100) / 100

function live (): Sim {
  const sim = new Sim((id) => ({ location_id: id, type_id: null, rack: null }))
  for (let ms = FROM; ms < TO; ms += INTERVAL_S * 1000) for (const id of [1, 2]) sim.result(id, ms, ok(id, ms), rtt(id, ms))
  return sim
}

t.test('a day change and a month change in Asia/Jakarta: local days hold their own seconds', async (t) => {
  const sim = live()
  const store = new AvailabilityStore(':memory:')
  store.addRollups(sim.acc.takeRollups())
  store.writeOutages(sim.acc.takeOutageChanges())
  const day = (from: string, to: string) => queryAvailability(store.db, { fromMs: at(from), toMs: at(to), nowMs: TO, groupBy: 'device', maintenance: 'exclude' }).entries[0]
  const nov30 = day('2026-11-30T00:00:00', '2026-12-01T00:00:00')
  t.match(nov30, { key: 1, up_s: 86_400 - 300, down_s: 300, not_monitored_s: 0, outages: 1, longest_outage_s: 600 })
  const dec1 = day('2026-12-01T00:00:00', '2026-12-01T04:00:00')
  t.match(dec1, { key: 1, up_s: 4 * 3600 - 300, down_s: 300, outages: 0 }, 'the outage counts on the day it began')
  const month = day('2026-11-01T00:00:00', '2026-12-01T00:00:00')
  t.match(month, { up_s: 28 * 3600 - 300, down_s: 300, not_monitored_s: 30 * 86_400 - 28 * 3600 })
})

t.test('rollups rebuilt from the CSV files equal the live ones over the same results', async (t) => {
  const dir = tempDir(t)
  mkdirSync(dir, { recursive: true })
  const files = new Map<string, ResultRow[]>()
  for (let ms = FROM; ms < TO; ms += INTERVAL_S * 1000) {
    for (const id of [1, 2]) {
      const key = localDateKey(ms)
      if (!files.has(key)) files.set(key, [])
      const success = ok(id, ms)
      files.get(key)!.push({ timestamp: formatLocalIso(ms), device_id: id, ip_address: `127.0.0.${id}`, hostname: `d${id}`, ping_success: success, response_time_ms: success ? rtt(id, ms) : null, error_message: success ? '' : 'timeout' })
    }
  }
  t.same([...files.keys()], ['20261129', '20261130', '20261201'])
  for (const [key, rows] of files) writeFileSync(join(dir, csvFileName(key, 1)), CSV_HEADER + formatCsvRows(rows))

  const rebuilt = new AvailabilityStore(join(dir, 'rebuilt.sqlite'))
  t.teardown(() => rebuilt.close())
  const r = await rebuildFromCsv({ dir, fromMs: FROM, toMs: TO, settings: SETTINGS, intervalS: INTERVAL_S, refsOf: (id) => ({ location_id: id, type_id: null, rack: null }), store: rebuilt, log, now: Date.now })
  t.equal(r.rows, (TO - FROM) / 5000 * 2)
  const liveStore = new AvailabilityStore(':memory:')
  liveStore.addRollups(live().acc.takeRollups())
  const all = (s: AvailabilityStore, table: string) => s.db.prepare(`SELECT * FROM ${table} ORDER BY 1, device_id`).all()
  const a = all(rebuilt, 'rollups')
  t.equal(a.length, 32 * 2)
  t.same(a, all(liveStore, 'rollups'), 'hourly rows equal')
  t.same(all(rebuilt, 'rollups_daily'), all(liveStore, 'rollups_daily'), 'daily rows equal')
})
