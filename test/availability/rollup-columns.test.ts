import t from 'tap'
import { Accounting } from '../../src/availability/accounting.js'
import { RTT_BINS, rttBin } from '../../src/availability/rtt-bins.js'
import { Sim, T0 } from './simulate.js'

const H = 3_600_000

t.test('rollups kept as columns come out as the same rows as objects would: every field, per device and hour', async (t) => {
  const refs = (id: number) => ({ location_id: id * 10, type_id: id + 1, rack: `r${id}` })
  const sim = new Sim(refs)
  // 300 devices (more than the columns' first capacity, so they grow), 13 results each across an hour edge
  for (let k = 0; k < 13; k++) {
    for (let id = 1; id <= 300; id++) sim.result(id, T0 + H - 30_000 + k * 5000, id % 7 !== 0 || k < 2, id / 10 + k)
  }
  const rows = sim.acc.takeRollups()
  t.equal(rows.length, 600, 'one row per device and hour')
  t.same(rows.slice(0, 2).map((r) => [r.hour, r.device_id]), [[T0, 1], [T0, 2]], 'hours in order, devices in the order of their first result')
  const r5 = rows.find((r) => r.device_id === 5 && r.hour === T0 + H)
  // device 5: results k = 6..12 after the edge, all replies of rtt 0.5 + k
  t.match(r5, { location_id: 50, type_id: 6, rack: 'r5', sent: 7, answered: 7, up_s: 35, down_s: 0, rtt_min: 6.5, rtt_max: 12.5 })
  t.equal(r5?.rtt_sum, [6, 7, 8, 9, 10, 11, 12].reduce((a, k) => a + 0.5 + k, 0))
  const expected = new Uint32Array(RTT_BINS)
  for (let k = 6; k <= 12; k++) expected[rttBin(0.5 + k)]++
  t.same([...(r5?.hist ?? [])], [...expected], 'the bins of the row, not of its neighbours')
  const r7 = rows.find((r) => r.device_id === 7 && r.hour === T0 + H)
  t.match(r7, { sent: 7, answered: 0, up_s: 0, down_s: 35, rtt_min: Infinity, rtt_max: -Infinity }, 'no reply: min and max stay infinite')
  t.same(sim.acc.takeRollups(), [], 'nothing left after a take')
})

t.test('a rollup set hands out its rows in chunks that add up to the whole, across hours', async (t) => {
  const sim = new Sim()
  for (let id = 1; id <= 50; id++) {
    sim.result(id, T0 + H - 5000, true)
    sim.result(id, T0 + H, true)
  }
  const whole = new Sim()
  for (let id = 1; id <= 50; id++) {
    whole.result(id, T0 + H - 5000, true)
    whole.result(id, T0 + H, true)
  }
  const set = sim.acc.takeRollupSet()
  t.equal(set.size, 100)
  const chunks = [...set.rows(0, 33), ...set.rows(33, 66), ...set.rows(66, 100), ...set.rows(100, 200)]
  t.same(chunks, whole.acc.takeRollups())
  t.equal(sim.acc.size, 0)
})

t.test('a device that left keeps its row of the hour (written at the next flush), a new one gets its own', async (t) => {
  const acc = new Accounting({ intervalS: 5, refsOf: () => ({ location_id: null, type_id: null, rack: null }), stateOf: () => ({ state: 'up', down_since: null }) })
  acc.addResult(1, T0, true, 1)
  acc.addResult(2, T0, true, 1)
  acc.retain(new Set([2]), T0 + 1000)
  acc.addResult(3, T0 + 5000, true, 2)
  acc.addResult(3, T0 + 10_000, true, 2)
  t.same(acc.takeRollups().map((r) => [r.device_id, r.sent, r.up_s]), [[1, 1, 5], [2, 1, 5], [3, 2, 10]])
  // after the take the freed slot may be reused: the next device's row starts empty
  acc.addResult(4, T0 + 15_000, true, 2)
  t.same(acc.takeRollups().map((r) => [r.device_id, r.sent, r.up_s]), [[4, 1, 5]])
})

t.test('columns released after a flush are reused for the next hour and start empty', async (t) => {
  const sim = new Sim()
  for (let id = 1; id <= 40; id++) sim.result(id, T0, true, 3 + id)
  const set = sim.acc.takeRollupSet()
  t.equal(set.rows(0, 40).length, 40)
  set.release()
  t.same(set.rows(0, 40), [], 'no rows after a release')
  for (let id = 1; id <= 3; id++) sim.result(id, T0 + H, true, 2)
  t.same(sim.acc.takeRollups().map((r) => [r.hour, r.device_id, r.sent, r.answered, r.rtt_sum, r.rtt_min, r.hist.reduce((a, b) => a + b, 0)]),
    [[T0 + H, 1, 1, 1, 2, 2, 1], [T0 + H, 2, 1, 1, 2, 2, 1], [T0 + H, 3, 1, 1, 2, 2, 1]])
})

t.test("an hour's RTT bins are 16-bit counts: they stop at 65,535, the other figures go on", async (t) => {
  const sim = new Sim()
  // 70,000 replies of 1 ms in one hour (one every 50 ms: faster than any interval allowed, on purpose)
  for (let k = 0; k < 70_000; k++) sim.acc.add({ device_id: 1, at: T0 + k * 50, success: true, rtt_ms: 1 })
  const [r] = sim.acc.takeRollups()
  t.match(r, { sent: 70_000, answered: 70_000, rtt_sum: 70_000 })
  t.equal(r.hist[rttBin(1)], 65_535, 'the bin stops at its largest count, it does not wrap')
  t.equal(r.hist.reduce((a, b) => a + b, 0), 65_535, 'no other bin counted')
  t.type(r.hist, Uint32Array, 'the rows written have 32-bit bins, as the store keeps them')
})

t.test('columns reserved for a cycle of N devices give the same rows as columns grown row by row, with N too small, exact or too large', async (t) => {
  const refs = (id: number) => ({ location_id: id % 4, type_id: null, rack: null })
  const feed = (sim: Sim, reserve: number | null) => {
    // 13 cycles of 300 devices across an hour edge, then 20 more devices join; reserved per cycle as the stage does
    for (let k = 0; k < 13; k++) {
      const n = k < 10 ? 300 : 320
      if (reserve !== null) sim.acc.reserve(reserve)
      for (let id = 1; id <= n; id++) sim.result(id, T0 + H - 30_000 + k * 5000, id % 9 !== 0 || k < 3, id / 7 + k)
    }
    return sim.acc.takeRollups()
  }
  const grown = feed(new Sim(refs), null)
  t.equal(grown.length, 300 + 320, 'the first hour: 300 devices; the second: 320 (the hour edge falls before cycle 7, the new devices come in cycle 11)')
  for (const reserve of [100, 300, 1000]) {
    t.same(feed(new Sim(refs), reserve), grown, `reserve(${reserve})`)
  }
  // after a flush the next hour reuses the columns (16 rows here, fewer than reserved: new ones are made)
  const a = new Sim(refs)
  const b = new Sim(refs)
  for (const [sim, reserve] of [[a, 2000], [b, null]] as const) {
    for (let id = 1; id <= 16; id++) sim.result(id, T0, true, 1)
    const set = sim.acc.takeRollupSet()
    set.rows(0, set.size)
    set.release()
    if (reserve !== null) sim.acc.reserve(reserve)
    for (let id = 1; id <= 400; id++) sim.result(id, T0 + 3 * H, id % 5 !== 0, 2)
  }
  t.same(a.acc.takeRollups(), b.acc.takeRollups(), 'the hour after a flush')
})
