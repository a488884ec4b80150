import t from 'tap'
import { AvailabilityStore } from '../../src/availability/availability-store.js'
import { queryAvailability, type AvailabilityQuery } from '../../src/availability/availability-query.js'
import { categoryOf } from '../../src/availability/accounting.js'
import { Sim, T0 } from './simulate.js'

const H = 3_600_000
const M = 60_000

function stored (sim: Sim): AvailabilityStore {
  const store = new AvailabilityStore(':memory:')
  store.addRollups(sim.acc.takeRollups())
  store.writeOutages(sim.acc.takeOutageChanges())
  return store
}
const q = (over: Partial<AvailabilityQuery> = {}): AvailabilityQuery => ({ fromMs: T0, toMs: T0 + 24 * H, nowMs: T0 + 24 * H, groupBy: 'device', maintenance: 'exclude', ...over })

t.test('10 minutes down in 24 hours: 99.306 %, one outage of 600 s from the first failure to the first reply', async (t) => {
  const sim = new Sim()
  const downFrom = T0 + 6 * H
  const downTo = downFrom + 10 * M
  sim.run(1, T0, T0 + 24 * H, (at) => at < downFrom || at >= downTo)
  const store = stored(sim)
  const [e] = queryAvailability(store.db, q()).entries
  // 86,400 s monitored, 120 failed results of 5 s = 600 s down: 86,400 - 600 / 86,400 = 99.3055...
  t.equal(e.availability_percent, 99.306)
  t.equal(e.down_s, 600)
  t.equal(e.up_s, 86_400 - 600)
  t.equal(e.not_monitored_s, 0)
  t.equal(e.outages, 1)
  t.equal(e.longest_outage_s, 600)
  t.equal(e.mttr_s, 600)
  t.equal(e.mtbf_s, 86_400 - 600)
  const [o] = store.outages({ fromMs: T0, toMs: T0 + 24 * H, limit: 10 })
  t.match(o, { device_id: 1, start: downFrom, end: downTo, cause: 'down', maintenance: false })
})

t.test('isolated failures below DOWN_AFTER_FAILURES: 100 %, no outage', async (t) => {
  const sim = new Sim()
  let i = 0
  // two failures in a row every 10 results
  sim.run(1, T0, T0 + 2 * H, () => (i++ % 10) >= 2)
  const store = stored(sim)
  const [e] = queryAvailability(store.db, q({ toMs: T0 + 2 * H, nowMs: T0 + 2 * H })).entries
  t.equal(e.availability_percent, 100)
  t.equal(e.down_s, 0)
  t.equal(e.outages, 0)
  t.ok(sim.acc.takeOutageChanges().length === 0)
})

t.test('maintenance is left out by default, counted as up with include, as down with down', async (t) => {
  // up 20 h, then 1 h in maintenance and down meanwhile, then 1 h down (not in maintenance), then up 2 h
  const maintFrom = T0 + 20 * H
  const maintTo = T0 + 21 * H
  const sim = new Sim(undefined, { maintenanceOf: () => now >= maintFrom && now < maintTo })
  let now = 0
  for (let at = T0; at < T0 + 24 * H; at += 5000) {
    now = at
    sim.result(1, at, at < maintFrom || at >= T0 + 22 * H)
  }
  const store = stored(sim)
  const get = (maintenance: AvailabilityQuery['maintenance']) => queryAvailability(store.db, q({ maintenance })).entries[0]
  const ex = get('exclude')
  t.equal(ex.maintenance_s, 3600)
  t.equal(ex.down_s, 3600)
  t.equal(ex.up_s, 22 * 3600)
  t.equal(ex.availability_percent, Math.round(22 / 23 * 100_000) / 1000, '22 h up of 23 h counted')
  t.equal(ex.outages, 0, 'the outage overlapped maintenance: not counted unless maintenance=down')
  t.equal(get('include').availability_percent, Math.round(23 / 24 * 100_000) / 1000)
  t.equal(get('down').availability_percent, Math.round(22 / 24 * 100_000) / 1000)
  t.equal(get('down').outages, 1)
  const [o] = store.outages({ fromMs: T0, toMs: T0 + 24 * H, limit: 10 })
  t.match(o, { start: maintFrom, end: T0 + 22 * H, maintenance: true })
})

t.test('time without results is not monitored, never up or down', async (t) => {
  const sim = new Sim()
  sim.run(1, T0, T0 + 10 * H, () => true)
  sim.run(1, T0 + 14 * H, T0 + 24 * H, () => true)
  const store = stored(sim)
  const [e] = queryAvailability(store.db, q()).entries
  t.equal(e.not_monitored_s, 4 * 3600)
  t.equal(e.up_s, 20 * 3600)
  t.equal(e.availability_percent, 100)
})

t.test('a restart in the middle of an outage keeps one outage', async (t) => {
  const sim1 = new Sim()
  const downFrom = T0 + 1 * H
  sim1.run(1, T0, T0 + 2 * H, (at) => at < downFrom)
  const store = stored(sim1)
  t.equal(store.openOutages().length, 1)
  // the service is stopped for an hour; the new run resumes the open outage, its state table starts empty
  const sim2 = new Sim()
  sim2.acc.resume(store.openOutages())
  const upAt = T0 + 3 * H + 30 * M
  sim2.run(1, T0 + 3 * H, T0 + 5 * H, (at) => at >= upAt)
  store.addRollups(sim2.acc.takeRollups())
  store.writeOutages(sim2.acc.takeOutageChanges())
  const all = store.outages({ fromMs: T0, toMs: T0 + 24 * H, limit: 10 })
  t.equal(all.length, 1, 'one outage, not two')
  t.match(all[0], { start: downFrom, end: upAt })
  const [e] = queryAvailability(store.db, q({ toMs: T0 + 5 * H, nowMs: T0 + 5 * H })).entries
  t.equal(e.not_monitored_s, 3600, 'the hour stopped')
  // 00-01 up, 01-02 down, 02-03 stopped, 03-03:30 down, 03:30-05 up
  t.equal(e.down_s, 3600 + 1800)
  t.equal(e.up_s, 3600 + 1800 + 3600)
})

t.test('group figures equal the sums of their devices', async (t) => {
  const loc = (id: number) => ({ location_id: id % 3, type_id: id % 2, rack: `R${id % 4}` })
  const sim = new Sim(loc)
  for (let id = 1; id <= 12; id++) {
    const from = T0 + id * 37 * M
    sim.run(id, T0, T0 + 24 * H, (at) => at < from || at >= from + id * 3 * M, id)
  }
  const store = stored(sim)
  const devices = queryAvailability(store.db, q()).entries
  for (const g of ['location', 'type', 'rack'] as const) {
    const groups = queryAvailability(store.db, q({ groupBy: g })).entries
    t.ok(groups.length > 1)
    for (const e of groups) {
      const mine = devices.filter((d) => {
        const r = loc(Number(d.key))
        return (g === 'location' ? r.location_id : g === 'type' ? r.type_id : r.rack) === e.key
      })
      const sum = (f: 'up_s' | 'down_s' | 'outages' | 'not_monitored_s') => mine.reduce((s, d) => s + d[f], 0)
      t.equal(e.devices, mine.length)
      t.equal(e.up_s, sum('up_s'), `${g} ${String(e.key)} up`)
      t.equal(e.down_s, sum('down_s'))
      t.equal(e.outages, sum('outages'))
      t.equal(e.not_monitored_s, sum('not_monitored_s'))
      t.equal(e.longest_outage_s, Math.max(...mine.map((d) => d.longest_outage_s)))
      t.equal(e.availability_percent, Math.round(sum('up_s') / (sum('up_s') + sum('down_s')) * 100_000) / 1000)
    }
  }
})

t.test('long windows read whole days from the daily table and the edges from the hourly one: same figures', async (t) => {
  const sim = new Sim()
  sim.run(1, T0, T0 + 3 * 24 * H, (at) => Math.floor(at / (7 * M)) % 13 !== 0, 2)
  const store = stored(sim)
  const from = T0 + 5 * H
  const to = T0 + 67 * H
  const a = queryAvailability(store.db, q({ fromMs: from, toMs: to, nowMs: to })).entries[0]
  // the same from hours only, summed by hand
  const rows = store.db.prepare('SELECT SUM(up_s) AS up, SUM(down_s) AS down, SUM(sent) AS sent FROM rollups WHERE hour >= ? AND hour < ?').get(from, to) as any
  t.equal(a.up_s, rows.up)
  t.equal(a.down_s, rows.down)
  t.ok(a.p50_ms !== null && Math.abs(a.p50_ms - 2) / 2 < 0.3, 'p50 near the 2 ms every reply took')
})

t.test('categories from the tracker: flapping follows the state underneath, unreachable is its own', async (t) => {
  t.equal(categoryOf({ state: 'flapping', down_since: null }), 'up')
  t.equal(categoryOf({ state: 'flapping', down_since: 5 }), 'down')
  t.equal(categoryOf({ state: 'unreachable', down_since: 5 }), 'unreachable')
  t.equal(categoryOf({ state: 'unknown', down_since: null }), null)
  t.equal(categoryOf(undefined), null)
})

t.test('unreachable time is reported apart and left out of the availability', async (t) => {
  // a tracker that says unreachable for the second hour
  const sim = new Sim()
  const acc = new (sim.acc.constructor as any)({ intervalS: 5, refsOf: () => ({ location_id: null, type_id: null, rack: null }), stateOf: () => ({ state: at >= T0 + H && at < T0 + 2 * H ? 'unreachable' : 'up', down_since: null }) })
  let at = T0
  for (; at < T0 + 3 * H; at += 5000) acc.add({ device_id: 1, at, success: !(at >= T0 + H && at < T0 + 2 * H), rtt_ms: 1 })
  const store = new AvailabilityStore(':memory:')
  store.addRollups(acc.takeRollups())
  store.writeOutages(acc.takeOutageChanges())
  const [e] = queryAvailability(store.db, q({ toMs: T0 + 3 * H, nowMs: T0 + 3 * H })).entries
  t.equal(e.unreachable_s, 3600)
  t.equal(e.availability_percent, 100)
  t.equal(e.outages, 0, 'the uplink\'s outage is what counts')
  t.match(store.outages({ fromMs: T0, toMs: T0 + 3 * H, limit: 5 }), [{ cause: 'unreachable', start: T0 + H, end: T0 + 2 * H }])
})

t.test('rollup rows taken in the middle of an hour, and results across an hour edge, count each result once in its own hour', async (t) => {
  // the accounting keeps each device's current rollup row at hand: taking the rows (a flush) and a
  // new hour must each start a new row, and a failure streak begun before the edge and settled
  // after it must go to the rows of the hours its results fell in
  const sim = new Sim()
  const edge = T0 + H
  sim.run(1, T0, edge - 10_000, () => true)
  sim.run(2, T0, edge - 10_000, () => true)
  const first = sim.acc.takeRollups()
  t.same(first.map((r) => [r.device_id, r.hour, r.sent, r.up_s]), [[1, T0, 718, 3590], [2, T0, 718, 3590]])
  // device 1: two failures before the edge, one after (down at the third: all three count as down,
  // in their hours); device 2: up on
  sim.result(1, edge - 10_000, false)
  sim.result(2, edge - 10_000, true)
  sim.result(1, edge - 5000, false)
  sim.result(2, edge - 5000, true)
  sim.result(1, edge, false)
  sim.result(2, edge, true)
  const rows = sim.acc.takeRollups().map((r) => [r.device_id, r.hour, r.sent, r.answered, r.up_s, r.down_s])
  t.same(rows.sort((a, b) => a[1] - b[1] || a[0] - b[0]), [
    [1, T0, 2, 0, 0, 10],
    [2, T0, 2, 2, 10, 0],
    [1, edge, 1, 0, 0, 5],
    [2, edge, 1, 1, 5, 0]
  ])
  t.same(sim.acc.takeRollups(), [], 'nothing left after a take')
  sim.result(2, edge + 5000, true)
  t.same(sim.acc.takeRollups().map((r) => [r.device_id, r.hour, r.sent, r.up_s]), [[2, edge, 1, 5]], 'a row after a take starts at zero')
})
