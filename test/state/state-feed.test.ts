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
