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

t.test('history rebuilds the state silently; live cycles during it wait and then apply in order', async (t) => {
  const { feed, live, table } = setup()
  feed.startReplay()
  // device 1 went down yesterday and stayed down; device 2 went down and came back
  feed.replayRow(ob(1, true, 1))
  feed.replayRow(ob(2, true, 1))
  feed.replayRow(ob(1, false, 2))
  feed.replayRow(ob(2, false, 2))
  // a live cycle arrives while the read-back is still going
  feed.live([ob(1, false, 100), ob(2, true, 100)])
  t.same(live, [], 'held back')
  t.equal(feed.isReplaying, true)
  feed.replayRow(ob(1, false, 3))
  feed.replayRow(ob(2, false, 3))
  feed.replayRow(ob(2, true, 4))
  // the files also hold the live cycle's rows (written meanwhile): not applied twice
  feed.replayRow(ob(1, false, 100))
  feed.replayRow(ob(2, true, 100))
  feed.live([ob(1, true, 110), ob(2, true, 110)])
  const summary = feed.endReplay()
  t.same(summary, { rows: 7, changes: 4, flushed_early: 0 }, 'unknown>up ×2, up>down ×2 found in history')
  t.same(live.map((c) => c.map((e) => `${e.device_id}:${e.from}>${e.to}@${e.at}`)), [['2:down>up@100']], 'only live changes are reported, in order')
  t.equal(table.get(1)?.state, 'down', 'device 1 still down: one reply is not enough')
  t.equal(table.get(1)?.consecutiveFailures, 0)
  t.equal(table.get(1)?.downSinceAt, 2, 'down since the first failure read back')
  feed.live([ob(1, true, 120)])
  t.same(live.at(-1)?.map((e) => `${e.device_id}:${e.from}>${e.to}`), ['1:down>up'])
  t.equal(feed.isReplaying, false)
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

t.test('a read-back that never ends does not hold every cycle', async (t) => {
  const table = new StateTable(SETTINGS)
  const live: StateEvent[][] = []
  const feed = new StateFeed(table, { onLiveEvents: (e) => live.push(e), maxBufferedRows: 3 })
  feed.startReplay()
  feed.live([ob(1, true, 1), ob(2, true, 1)])
  feed.live([ob(1, true, 2), ob(2, true, 2)])
  t.equal(live.length, 1, 'the oldest cycle was applied to stay within the bound')
  const s = feed.endReplay()
  t.equal(s.flushed_early, 1)
})
