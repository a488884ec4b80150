import t from 'tap'
import { join } from 'node:path'
import { AvailabilityStore, GROUPS_META } from '../../src/availability/availability-store.js'
import { queryAvailability, type AvailabilityQuery, type GroupBy } from '../../src/availability/availability-query.js'
import { createAvailability } from '../../src/availability/availability-service.js'
import type { DeviceRefs } from '../../src/availability/accounting.js'
import { tempDir } from '../helper.js'
import { INTERVAL_S, SETTINGS, Sim, T0 } from './simulate.js'

// The location, type and rack queries read the group rows (one per group and hour, and per group and
// UTC day); these prove they give exactly what summing the device rows gives, also for a device that
// moved in the middle of a day, one that stopped for some hours, and written the way the flushes do.

const H = 3_600_000
const M = 60_000
const log = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as any
/** the assertions used here, as tap gives them to a test */
interface Checks { ok: (v: unknown, m: string) => void, same: (a: unknown, b: unknown, m: string) => void }

// device 7 moves from location 1 to location 2 at 13:20 on the second day; device 5 is not monitored
// from 30 h to 41 h; the others are down a while each
let moved = false
const refs = (id: number): DeviceRefs => ({ location_id: id === 7 && moved ? 2 : id % 3, type_id: id % 2 === 0 ? null : id % 4, rack: id % 5 === 0 ? null : `R${id % 4}` })

function simulate (): Sim {
  moved = false
  const sim = new Sim(refs)
  const end = T0 + 3 * 24 * H + 5 * H
  for (let at = T0; at < end; at += INTERVAL_S * 1000) {
    moved = at >= T0 + 24 * H + 13 * H + 20 * M
    for (let id = 1; id <= 12; id++) {
      if (id === 5 && at >= T0 + 30 * H && at < T0 + 41 * H) continue
      const from = T0 + id * 3 * H + id * 7 * M
      sim.result(id, at, !(at >= from && at < from + id * 4 * M), 1 + id % 6)
    }
  }
  return sim
}

const windows: Array<[string, number, number]> = [
  ['one day, edges only', T0 + 2 * H, T0 + 20 * H],
  ['days and edge hours', T0 + 5 * H, T0 + 3 * 24 * H + 3 * H],
  ['whole days', T0, T0 + 3 * 24 * H],
  ['across the move', T0 + 30 * H, T0 + 50 * H]
]

function same (t: Checks, store: AvailabilityStore, what: string): void {
  for (const g of ['location', 'type', 'rack'] as GroupBy[]) {
    for (const [name, from, to] of windows) {
      const q: AvailabilityQuery = { fromMs: from, toMs: to, nowMs: T0 + 4 * 24 * H, groupBy: g, maintenance: 'exclude' }
      const grouped = queryAvailability(store.db, q).entries
      const summed = queryAvailability(store.db, { ...q, fromDevices: true }).entries
      t.ok(grouped.length > 1, `${what}: ${g}, ${name}: several groups`)
      t.same(grouped, summed, `${what}: ${g}, ${name}: group rows equal the device rows' sums`)
    }
  }
  const q: AvailabilityQuery = { fromMs: T0, toMs: T0 + 3 * 24 * H, nowMs: T0 + 4 * 24 * H, groupBy: 'location', locationId: 2, maintenance: 'exclude' }
  t.same(queryAvailability(store.db, q).entries, queryAvailability(store.db, { ...q, fromDevices: true }).entries, `${what}: one location`)
}

t.test('group rows equal the sums of their devices: every kind and window, a moved device, a gap', async (t) => {
  const store = new AvailabilityStore(':memory:')
  const sim = simulate()
  store.addRollups(sim.acc.takeRollups())
  store.writeOutages(sim.acc.takeOutageChanges())
  t.equal(store.getMeta(GROUPS_META), '1', 'a new store has its group rows from the start')
  const n = store.db.prepare('SELECT COUNT(*) AS n FROM group_rollups WHERE kind = 0').get() as { n: number }
  t.ok(n.n > 0 && n.n <= 77 * 4, 'about one row per location and hour')
  same(t, store, 'one write')
  // the moved device's day: its daily row is where it was last, and so is its share of the group rows
  const day = T0 + 24 * H
  const loc2 = queryAvailability(store.db, { fromMs: day, toMs: day + 24 * H, nowMs: T0 + 4 * 24 * H, groupBy: 'location', maintenance: 'exclude' }).entries.find((e) => e.key === 2)!
  t.equal(loc2.devices, 5, 'device 7 counts in location 2 that day')
})

t.test('written as the flushes write (chunks in one transaction, regrouped after) and rebuilt per batch: the same', async (t) => {
  const store = new AvailabilityStore(':memory:')
  const sim = simulate()
  const rows = sim.acc.takeRollups()
  // in slices of a few hours, as minute flushes add to rows already there
  for (let i = 0; i < rows.length; i += 97) {
    store.begin()
    store.addRollups(rows.slice(i, i + 97))
    while (store.regroupOne());
    store.commit()
  }
  store.writeOutages(sim.acc.takeOutageChanges())
  same(t, store, 'flushes')
  // deferred, as the rebuild does: the hours before the batch's last one are regrouped, the rest at the end
  const rebuilt = new AvailabilityStore(':memory:')
  const again = simulate()
  const all = again.acc.takeRollups().sort((a, b) => a.hour - b.hour)
  for (let i = 0; i < all.length; i += 50) {
    const batch = all.slice(i, i + 50)
    rebuilt.addRollups(batch, true)
    while (rebuilt.regroupOne(batch[batch.length - 1].hour));
  }
  t.ok(rebuilt.dirty > 0, 'the last hour and day wait for the end')
  rebuilt.regroupAll()
  t.equal(rebuilt.dirty, 0)
  rebuilt.writeOutages(again.acc.takeOutageChanges())
  const table = (s: AvailabilityStore, name: string) => s.db.prepare(`SELECT * FROM ${name} ORDER BY 1, 2, 3`).all()
  t.same(table(rebuilt, 'group_rollups'), table(store, 'group_rollups'), 'hourly group rows equal')
  t.same(table(rebuilt, 'group_rollups_daily'), table(store, 'group_rollups_daily'), 'daily group rows equal')
})

t.test('a store from before the group rows: the device rows answer until the backfill at start is done', async (t) => {
  const file = join(tempDir(t), 'old.sqlite')
  const old = new AvailabilityStore(file)
  const sim = simulate()
  old.addRollups(sim.acc.takeRollups())
  old.writeOutages(sim.acc.takeOutageChanges())
  const q: AvailabilityQuery = { fromMs: T0 + 5 * H, toMs: T0 + 3 * 24 * H + 3 * H, nowMs: T0 + 4 * 24 * H, groupBy: 'location', maintenance: 'exclude' }
  const expected = queryAvailability(old.db, { ...q, fromDevices: true }).entries
  // as the store was before: no group rows, no mark
  old.db.exec('DELETE FROM group_rollups; DELETE FROM group_rollups_daily')
  old.db.prepare('DELETE FROM meta WHERE key = ?').run(GROUPS_META)
  t.same(queryAvailability(old.db, q).entries, expected, 'no mark: summed from the device rows')
  old.setMeta('flushed_until', String(Date.now()))
  old.close()

  const reopened = new AvailabilityStore(file)
  t.equal(reopened.getMeta(GROUPS_META), null, 'rows there: not marked at open')
  reopened.close()
  const avail = createAvailability({ file, days: 400, intervalS: INTERVAL_S, csvDir: tempDir(t), stateSettings: SETTINGS, log, now: Date.now, stateOf: () => undefined })
  avail.start()
  await avail.rebuilt()
  t.equal(avail.store.getMeta(GROUPS_META), '1')
  t.same(queryAvailability(avail.store.db, q).entries, expected, 'from the group rows made at start')
  await avail.close()
})
