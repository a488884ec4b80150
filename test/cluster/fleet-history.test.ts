import t from 'tap'
import { FleetView } from '../../src/cluster/fleet-view.js'
import { mergeRowsNewestFirst } from '../../src/cluster/history-peers.js'
import { addTimelineCounts, emptyTimelineCounts, formatTimeline } from '../../src/history/history-store.js'
import type { Device } from '../../src/inventory/filter-inventory.js'
import { NOT_IN_MAINTENANCE } from '../../src/schemas/device-facts.js'
import type { ResultRow } from '../../src/storage/result-row.js'

const row = (id: number, at: number, ok = true): ResultRow => ({
  timestamp: new Date(at).toISOString(), device_id: id, ip_address: '127.0.0.1', hostname: `h${id}`, ping_success: ok, response_time_ms: ok ? 1 : null, error_message: ok ? '' : 'Request timeout'
})
const st = { state: 'up' as const, consecutive_failures: 0, down_since: null }

t.test('rows of several owners merge newest first, each with its owner, at most limit', async (t) => {
  const merged = mergeRowsNewestFirst([
    { owner: 'a', rows: [row(1, 3000), row(1, 1000)] },
    { owner: 'b', rows: [row(1, 4000), row(1, 2000)] }
  ], 3)
  t.same(merged.map((r) => [Date.parse(r.timestamp), r.owner]), [[4000, 'b'], [3000, 'a'], [2000, 'b']])
})

t.test('timeline counts add up across owners', async (t) => {
  const a = emptyTimelineCounts(0, 60_000, 2)
  const b = emptyTimelineCounts(0, 60_000, 2)
  a.pings[0] = 2; a.oks[0] = 2; a.timed[0] = 2; a.sum[0] = 400; a.max[0] = 300
  b.pings[0] = 1; b.oks[0] = 1; b.timed[0] = 1; b.sum[0] = 500; b.max[0] = 500
  b.pings[1] = 1
  addTimelineCounts(a, b)
  const out = formatTimeline(a)
  t.same(out.map((x) => [x.pings, x.successes, x.avg_ms, x.max_ms]), [[3, 3, 3, 5], [1, 0, null, null]])
  // another window's buckets are left out rather than misplaced
  addTimelineCounts(a, emptyTimelineCounts(60_000, 60_000, 2))
  t.equal(a.pings[0], 3)
})

t.test('the fleet view knows each device\'s owners in a window and its published state', async (t) => {
  const d = { device_id: 1, ip_address: '127.0.0.1', hostname: 'h1', location: { id: 1, name: 'L' }, type: { id: 1, name: 'T' }, rack: null, kondisi: 'baik' } as unknown as Device
  const fleet = new FleetView(0, (x) => ({ location: x.location, rack: x.rack, type: x.type, kondisi: x.kondisi, maintenance: NOT_IN_MAINTENANCE }))
  fleet.setDevices([d])
  const v0 = fleet.version
  t.equal(fleet.stateOf(1), undefined, 'no result yet')
  fleet.add({ s: 1, p: 0, o: 'a', r: [{ row: row(1, 1000), at: 1000, st }] })
  fleet.add({ s: 2, p: 0, o: 'b', r: [{ row: row(1, 2000), at: 2000, st: { ...st, state: 'unreachable' } }] })
  t.ok(fleet.version > v0, 'newer results change the version')
  t.same(fleet.ownersSince(1, 0), ['a', 'b'])
  t.same(fleet.ownersSince(1, 1500), ['b'], 'a\'s last result is before the window')
  t.equal(fleet.stateOf(1), 'down', 'the machine\'s state: unreachable is worked out where it is shown')
  // a late message of the former owner does not make it the owner again
  fleet.add({ s: 1, p: 0, o: 'c', r: [{ row: row(1, 1200), at: 1200, st }] })
  t.same(fleet.ownersSince(1, 1100), ['b', 'c'])
  t.equal(fleet.latestRows()[0].owner, 'b')
})
