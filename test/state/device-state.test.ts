import t from 'tap'
import { DeviceStateMachine, type StateEvent, type StateSettings } from '../../src/state/device-state.js'
import { StateTable } from '../../src/state/state-table.js'

const DEFAULTS: StateSettings = { downAfterFailures: 3, upAfterSuccesses: 2, flapChanges: 4, flapWindow: 20 }

/** Feeds a pattern like 'uuxxx' (u = reply, x = failure), one result per second from t0; returns the events with their index. */
function feed (m: DeviceStateMachine, pattern: string, t0 = 1_000_000): Array<StateEvent & { i: number }> {
  const out: Array<StateEvent & { i: number }> = []
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === ' ') continue
    const e = m.observe({ device_id: m.deviceId, ip_address: '127.0.0.1', hostname: 'gw', success: pattern[i] === 'u', error: pattern[i] === 'u' ? '' : `err${i}`, at: t0 + i * 1000 })
    if (e !== null) out.push({ ...e, i })
  }
  return out
}
const transitions = (events: Array<{ from: string, to: string, i: number }>) => events.map((e) => `${e.i}:${e.from}>${e.to}`)

t.test('unknown: the first reply makes a device up at once', async (t) => {
  const m = new DeviceStateMachine(1, DEFAULTS)
  t.equal(m.state, 'unknown')
  const ev = feed(m, 'u')
  t.same(transitions(ev), ['0:unknown>up'])
  t.match(ev[0], { device_id: 1, reason: 'first result: reply', consecutive_failures: 0, down_since: null, last_error: null })
  t.match(m.snapshot(), { state: 'up', last_change: 1_000_000, down_since: null })
})

t.test('unknown: failures make a device down only after DOWN_AFTER_FAILURES of them', async (t) => {
  const m = new DeviceStateMachine(1, DEFAULTS)
  t.same(feed(m, 'xx'), [])
  t.equal(m.state, 'unknown', 'still unknown after two failures')
  t.equal(m.consecutiveFailures, 2)
  const ev = feed(m, '  x')
  t.same(transitions(ev), ['2:unknown>down'])
  t.match(ev[0], { consecutive_failures: 3, down_since: 1_000_000, last_error: 'err2', reason: '3 failed pings in a row; last error: err2' })
})

t.test('one or two lost pings do not make an up device down; the third does', async (t) => {
  const m = new DeviceStateMachine(7, DEFAULTS)
  const ev = feed(m, 'uuxuxxuxxxx')
  t.same(transitions(ev), ['0:unknown>up', '9:up>down'])
  const snap = m.snapshot()
  t.match(snap, { state: 'down', consecutive_failures: 4, consecutive_successes: 0, last_error: 'err10', last_change: 1_009_000 })
  t.equal(snap.down_since, 1_007_000, 'down since the first failure of the streak, not the third')
})

t.test('down → up after UP_AFTER_SUCCESSES replies; one reply is not enough; the event names the outage', async (t) => {
  const m = new DeviceStateMachine(1, DEFAULTS)
  const ev = feed(m, 'uxxxuxuu')
  t.same(transitions(ev), ['0:unknown>up', '3:up>down', '7:down>up'])
  t.match(ev[2], { from: 'down', to: 'up', reason: '2 replies in a row', consecutive_failures: 0, down_since: 1_001_000, last_error: 'err5' })
  t.match(m.snapshot(), { state: 'up', down_since: null, last_error: 'err5', consecutive_successes: 2 })
})

t.test('custom thresholds: 1 and 1 follow every result', async (t) => {
  const m = new DeviceStateMachine(1, { downAfterFailures: 1, upAfterSuccesses: 1, flapChanges: 0, flapWindow: 20 })
  t.same(transitions(feed(m, 'xuxu')), ['0:unknown>down', '1:down>up', '2:up>down', '3:down>up'], 'FLAP_CHANGES=0: never flapping')
})

t.test('flapping after FLAP_CHANGES up/down changes within the window; no events underneath; back when calm', async (t) => {
  const s = { downAfterFailures: 1, upAfterSuccesses: 1, flapChanges: 4, flapWindow: 10 }
  const m = new DeviceStateMachine(1, s)
  // changes (not counting unknown→up) at 1, 2, 3, then the 4th at 4 → flapping
  const ev = feed(m, 'uxuxu')
  t.same(transitions(ev), ['0:unknown>up', '1:up>down', '2:down>up', '3:up>down', '4:down>flapping'])
  t.match(ev[4], { reason: '4 up/down changes in the last 5 results', down_since: 1_003_000 }, 'the outage this result ended')
  // more changes while flapping: silent
  const more = feed(m, '     xuxuu', 1_000_000)
  t.same(more, [], 'no events while flapping')
  t.equal(m.state, 'flapping')
  // changes at results 1..9; flapping ends when fewer than 2 remain in the last 10 results:
  // the change at result 9 (index 8 of the second feed) stays in the window until result 19
  const calm = feed(m, '          uuuuuuuuuu', 1_000_000)
  t.equal(calm.length, 1)
  t.match(calm[0], { from: 'flapping', to: 'up' })
  t.match(calm[0].reason, /^stopped flapping \(1 up\/down changes in the last 10 results\); now up$/)
  t.equal(calm[0].i, 17, 'leaves once only the last change is inside the window')
})

t.test('flapping → down when it settles down; down_since kept through the flapping', async (t) => {
  const m = new DeviceStateMachine(1, { downAfterFailures: 1, upAfterSuccesses: 1, flapChanges: 2, flapWindow: 4 })
  const ev = feed(m, 'uxux')
  t.same(transitions(ev), ['0:unknown>up', '1:up>down', '2:down>flapping'])
  t.match(ev[2], { down_since: 1_001_000 })
  const ev2 = feed(m, '    xxxx')
  t.same(transitions(ev2), ['7:flapping>down'], 'stable once the last change (4th result) left the 4-result window')
  t.equal(m.snapshot().down_since, 1_003_000, 'the outage began at the 4th result')
})

t.test('the default settings: a device changing every few cycles is flapping', async (t) => {
  const m = new DeviceStateMachine(1, DEFAULTS)
  // up; 3 failures → down (change 1); 2 replies → up (2); 3 failures → down (3); 2 replies → up (4 → flapping)
  const ev = feed(m, 'uxxxuuxxxuu')
  t.same(transitions(ev), ['0:unknown>up', '3:up>down', '5:down>up', '8:up>down', '10:down>flapping'])
})

t.test('state table: one machine per device, removed devices leave', async (t) => {
  const table = new StateTable(DEFAULTS)
  const ob = (id: number, success: boolean, at: number) => ({ device_id: id, ip_address: `127.0.0.${id}`, hostname: `h${id}`, success, error: success ? '' : 'timeout', at })
  t.match(table.apply(ob(1, true, 1)), { device_id: 1, to: 'up', hostname: 'h1' })
  t.equal(table.apply(ob(2, false, 1)), null)
  t.equal(table.size, 2)
  t.equal(table.get(2)?.consecutiveFailures, 1)
  t.equal(table.retain(new Set([1])), 1)
  t.equal(table.get(2), undefined)
  t.same(table.snapshots().map((s) => s.device_id), [1])
  t.match(table.get(1)?.snapshot(), { ip_address: '127.0.0.1', last_result_at: 1 })
})

t.test('state table: a slot freed by a device that left starts over for the next device', async (t) => {
  const table = new StateTable(DEFAULTS)
  const ob = (id: number, success: boolean, at: number) => ({ device_id: id, ip_address: `127.0.0.${id}`, hostname: `h${id}`, success, error: success ? '' : 'timeout', at })
  for (let at = 1; at <= 4; at++) table.apply(ob(1, false, at))
  t.match(table.get(1)?.snapshot(), { state: 'down', consecutive_failures: 4, down_since: 1, last_error: 'timeout' })
  table.retain(new Set())
  t.equal(table.size, 0)
  t.match(table.apply(ob(2, true, 10)), { device_id: 2, from: 'unknown', to: 'up' })
  t.same(table.get(2)?.snapshot(), { device_id: 2, ip_address: '127.0.0.2', hostname: 'h2', state: 'up', consecutive_failures: 0, consecutive_successes: 1, down_since: null, last_change: 10, last_error: null, last_result_at: 10 })
  t.equal(table.stateOf(1), undefined)
  t.equal(table.stateOf(2), 'up')
  // many devices: the columns grow and keep every device's own state
  for (let id = 100; id < 1100; id++) table.apply(ob(id, id % 2 === 0, 20))
  t.equal(table.get(101)?.consecutiveFailures, 1)
  t.equal(table.get(1098)?.state, 'up')
  t.equal(table.get(2)?.lastAt, 10)
})
