import t from 'tap'
import { HandoverStates, type AdoptingStates } from '../../src/cluster/handover-states.js'
import type { ResultMessage } from '../../src/cluster/results-stream.js'
import { isAlertable } from '../../src/alerts/alert-message.js'
import { formatLocalIso } from '../../src/lib/local-time.js'
import type { DeviceState, StateEvent } from '../../src/state/device-state.js'
import { StateTable } from '../../src/state/state-table.js'
import type { ResultRow } from '../../src/storage/result-row.js'

// A partition changes owners (crash, join, SIGTERM): the new owner takes over the verdict the previous
// owner published on the results stream before applying its own first result, so that a device
// already alerted down is not alerted down again, and its recovery is alerted once.
const SETTINGS = { downAfterFailures: 3, upAfterSuccesses: 2, flapChanges: 4, flapWindow: 20 }
const T0 = Date.parse('2026-12-02T10:00:00Z')
const ID = 7

function row (ok: boolean, at: number, id = ID): { row: ResultRow, at: number } {
  return {
    at,
    row: { timestamp: formatLocalIso(at), device_id: id, ip_address: `127.1.0.${id}`, hostname: `dev-${id}`, ping_success: ok, response_time_ms: ok ? 0.1 : null, error_message: ok ? '' : 'timeout' }
  }
}
function message (owner: string, slot: number, rows: Array<{ row: ResultRow, at: number }>, state: DeviceState, failures: number, downSince: number | null): ResultMessage {
  return { s: slot, p: 1, o: owner, r: rows.map((r) => ({ ...r, st: { state, consecutive_failures: failures, down_since: downSince === null ? null : formatLocalIso(downSince) } })) }
}
function adapter (table: StateTable): AdoptingStates {
  return { lastResultAt: (id) => table.get(id)?.lastAt ?? null, adopt: (id, ip, host, s) => table.adopt(id, ip, host, s) }
}
/** one cycle on the new owner: hand-over first (when given), then the device states */
function cycle (table: StateTable, rows: Array<{ row: ResultRow, at: number }>, handover?: HandoverStates): StateEvent[] {
  handover?.adoptBefore(rows, adapter(table))
  const out: StateEvent[] = []
  for (const { row: r, at } of rows) {
    const e = table.apply({ device_id: r.device_id, ip_address: r.ip_address, hostname: r.hostname, success: r.ping_success, error: r.error_message, at })
    if (e !== null) out.push(e)
  }
  return out
}

t.test('a device the previous owner alerted down is not alerted down again by the new owner', async (t) => {
  // a saw it fail 4 times from T0 (down since T0, alerted by a), then a died; b pings it from T0 + 30 s
  const handover = new HandoverStates('b')
  handover.add(message('a', 3, [row(false, T0 + 15_000)], 'down', 4, T0))
  const failing = [30_000, 35_000, 40_000, 45_000].map((d) => [row(false, T0 + d)])

  const without = new StateTable(SETTINGS)
  const repeated = failing.flatMap((rows) => cycle(without, rows))
  t.same(repeated.map((e) => `${e.from}>${e.to}`), ['unknown>down'], 'control: without the hand-over, b reports the device down anew')
  t.ok(repeated.every(isAlertable), 'control: and that would be alerted')

  const table = new StateTable(SETTINGS)
  const events = failing.flatMap((rows) => cycle(table, rows, handover))
  t.same(events, [], 'with the hand-over: no change, no alert')
  t.equal(table.get(ID)?.state, 'down', 'b holds it down')
  t.equal(table.get(ID)?.downSinceAt, T0, 'since the outage began under a')
  t.equal(table.get(ID)?.consecutiveFailures, 8, 'failures in a row carried over (4 + 4)')

  const back = [50_000, 55_000].flatMap((d) => cycle(table, [row(true, T0 + d)], handover))
  t.same(back.map((e) => `${e.from}>${e.to}`), ['down>up'], 'its recovery is one change on b')
  t.equal(back[0].down_since, T0, 'with the real outage start')
  t.ok(isAlertable(back[0]), 'and it is alerted (a never saw it)')
})

t.test('an instance that gets a device back does not repeat a recovery the other owner reported', async (t) => {
  // b had it down long ago, then a owned it and saw it recover; now b pings it again
  const table = new StateTable(SETTINGS)
  cycle(table, [row(false, T0 - 100_000)])
  cycle(table, [row(false, T0 - 95_000)])
  t.equal(cycle(table, [row(false, T0 - 90_000)])[0].to, 'down', 'b had it down')
  const stale = new StateTable(SETTINGS)
  for (const d of [100_000, 95_000, 90_000]) cycle(stale, [row(false, T0 - d)])
  const handover = new HandoverStates('b')
  handover.add(message('a', 5, [row(true, T0 + 10_000)], 'up', 0, null))

  t.same([20_000, 25_000].flatMap((d) => cycle(stale, [row(true, T0 + d)])).map((e) => `${e.from}>${e.to}`), ['down>up'], 'control: the stale state would report a recovery again')
  t.same([20_000, 25_000].flatMap((d) => cycle(table, [row(true, T0 + d)], handover)), [], 'with the hand-over: nothing')
  t.equal(table.get(ID)?.state, 'up')
  const down = [30_000, 35_000, 40_000].flatMap((d) => cycle(table, [row(false, T0 + d)], handover))
  t.same(down.map((e) => `${e.from}>${e.to}`), ['up>down'], 'a new outage is reported (from up)')
})

t.test('what is taken over, and what is not', async (t) => {
  const handover = new HandoverStates('b')
  // its own messages: the states here are already its own
  handover.add(message('b', 1, [row(false, T0, 1)], 'down', 3, T0))
  // unknown says nothing (an owner still reading its history back); the verdict before it stands
  handover.add(message('a', 1, [row(false, T0, 2)], 'down', 3, T0))
  handover.add(message('c', 2, [row(false, T0 + 5000, 2)], 'unknown', 0, null))
  // an older message does not replace a newer one
  handover.add(message('a', 4, [row(true, T0 + 20_000, 3)], 'up', 0, null))
  handover.add(message('c', 3, [row(false, T0 + 15_000, 3)], 'down', 3, T0))
  t.equal(handover.size, 2, 'devices 2 and 3 are known')

  const table = new StateTable(SETTINGS)
  t.same(handover.adoptBefore([row(false, T0 + 30_000, 1)], adapter(table)), [], 'device 1: nothing from another owner')
  t.same(handover.adoptBefore([row(false, T0 + 30_000, 2)], adapter(table)), [2], 'device 2: taken over')
  t.equal(table.get(2)?.state, 'down', "device 2: a's down, not c's unknown")
  t.same(handover.adoptBefore([row(false, T0 + 30_000, 3)], adapter(table)), [3])
  t.equal(table.get(3)?.state, 'up', "device 3: a's newer up")
  t.same(handover.adoptBefore([row(false, T0 + 30_000, 3)], adapter(table)), [], 'not twice: it now knows as much')
  t.same(handover.adoptBefore([row(false, T0 + 10_000, 3)], adapter(table)), [], 'not for a result older than the verdict')
  // b pinged device 2 itself after the verdict: its own state is newer
  const own = new StateTable(SETTINGS)
  cycle(own, [row(true, T0 + 1000, 2)])
  t.same(handover.adoptBefore([row(false, T0 + 30_000, 2)], adapter(own)), [], 'not over a newer state of its own')

  handover.retain(new Set([3]))
  t.equal(handover.size, 1, 'devices that left the inventory are dropped')
})

t.test('a flapping device stays flapping for a window, then settles without a repeated alert', async (t) => {
  const handover = new HandoverStates('b')
  handover.add(message('a', 1, [row(false, T0)], 'flapping', 1, null))
  const table = new StateTable(SETTINGS)
  const events: StateEvent[] = []
  for (let i = 1; i <= SETTINGS.flapWindow + 1; i++) events.push(...cycle(table, [row(true, T0 + i * 5000)], handover))
  t.equal(events.length, 1, 'one change over the window')
  t.match(events[0], { from: 'flapping', to: 'up' }, 'it stops flapping, and is up')
})
