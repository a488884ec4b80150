import t from 'tap'
import type { Observation, StateEvent } from '../../src/state/device-state.js'
import { StateFeed } from '../../src/state/state-feed.js'
import { StateTable } from '../../src/state/state-table.js'

const SETTINGS = { downAfterFailures: 2, upAfterSuccesses: 2, flapChanges: 0, flapWindow: 20 }
const ob = (id: number, success: boolean, at: number): Observation => ({ device_id: id, ip_address: `127.0.0.${id}`, hostname: `h${id}`, success, error: success ? '' : 'No response (timeout)', at })

function setup () {
  const table = new StateTable(SETTINGS)
  const live: StateEvent[][] = []
  const feed = new StateFeed(table, { onLiveEvents: (e) => live.push(e) })
  return { table, feed, live }
}

t.test('without a read-back, live cycles apply at once and report their changes per cycle', async (t) => {
  const { feed, live, table } = setup()
  feed.live([ob(1, true, 10), ob(2, false, 10)])
  feed.live([ob(1, true, 20), ob(2, false, 20)])
  t.same(live.map((c) => c.map((e) => `${e.device_id}:${e.from}>${e.to}`)), [['1:unknown>up'], ['2:unknown>down']])
  t.equal(table.get(2)?.state, 'down')
})

t.test('history older than what is already applied is ignored (a second read-back)', async (t) => {
  const { feed, live, table } = setup()
  feed.live([ob(1, true, 50)])
  feed.startReplay()
  feed.replayRow(ob(1, false, 10))
  feed.replayRow(ob(1, false, 20))
  feed.endReplay()
  t.equal(table.get(1)?.state, 'up')
  t.equal(live.length, 1)
})

// holding live cycles during the read-back (with the state feed behind it): test/pipeline.test.ts

t.test('a cycle as columns reserves the table for its devices in one step; more devices later still get slots of their own', async (t) => {
  const { cycleOfRows } = await import('../../src/monitor/cycle.js')
  const cycle = (n: number, at: number, ok: (id: number) => boolean) => cycleOfRows(Array.from({ length: n }, (_, i) => {
    const id = i + 1
    const o = ob(id, ok(id), at)
    return { row: { timestamp: '', device_id: id, ip_address: o.ip_address, hostname: o.hostname, ping_success: o.success, response_time_ms: o.success ? 1 : null, error_message: o.error }, at }
  }))
  const columns = setup()
  const rows = setup()
  for (const [k, n] of [[1, 300], [2, 300], [3, 340], [4, 340]] as const) {
    const ok = (id: number) => id % 3 !== 0 || k === 1
    columns.feed.liveColumns(cycle(n, k * 1000, ok))
    rows.feed.live(Array.from({ length: n }, (_, i) => ob(i + 1, ok(i + 1), k * 1000)))
  }
  const digest = (x: ReturnType<typeof setup>) => x.live.map((c) => c.map((e) => `${e.device_id}:${e.from}>${e.to}`).join(' '))
  t.same(digest(columns), digest(rows), 'the same changes, cycle by cycle')
  t.equal(columns.table.size, 340)
  for (const id of [1, 3, 299, 300, 301, 339, 340]) t.same(columns.table.get(id)?.snapshot(), rows.table.get(id)?.snapshot(), `device ${id}`)
})
