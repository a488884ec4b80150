import t from 'tap'
import FakeTimers from '@sinonjs/fake-timers'
import { Monitor, type CycleInfo } from '../../src/monitor/monitor.js'
import { runCycle } from '../../src/monitor/cycle.js'
import { makeDevice, type Device } from '../../src/inventory/filter-inventory.js'
import { encodeOutcomes, mergeOutcomes, type TargetOutcome } from '../../src/ping/types.js'
import { formatLocalIso } from '../../src/lib/local-time.js'

const silent = { info () {}, warn () {}, error () {} }
const dev = (id: number, ip: string, family: 4 | 6 | 0 = 4): Device => makeDevice({ device_id: id, ip_address: ip, hostname: `h${id}`, family })

t.test('runCycle pings each address once and gives every device exactly one row', async (t) => {
  const asked: string[][] = []
  const devices = [dev(1, '127.0.0.1'), dev(2, '127.0.0.1'), dev(3, 'LocalHost', 0), dev(4, 'localhost', 0), dev(5, '127.66.0.1')]
  const r = await runCycle(devices, async (targets) => {
    asked.push(targets.map((x) => x.target))
    const m = new Map<string, TargetOutcome>()
    for (const x of targets) {
      const ok = x.target !== '127.66.0.1'
      m.set(x.target, { target: x.target, at: 1000, success: ok, response_time_ms: ok ? 0.456 : null, error_message: ok ? '' : 'No response (timeout)' })
    }
    return m
  })
  t.same(asked, [['127.0.0.1', 'localhost', '127.66.0.1']])
  t.same(r.rowsOnce().map((x) => [x.row.device_id, x.row.ip_address, x.row.ping_success, x.row.response_time_ms, x.row.error_message]), [
    [1, '127.0.0.1', true, 0.46, ''], [2, '127.0.0.1', true, 0.46, ''], [3, 'LocalHost', true, 0.46, ''], [4, 'localhost', true, 0.46, ''], [5, '127.66.0.1', false, null, 'No response (timeout)']
  ])
  t.equal(r.up, 4)
  t.equal(r.down, 1)
})

t.test('runCycle reads the engine\'s columns (pingColumns) into the same rows as outcomes by target', async (t) => {
  const devices = [dev(1, '127.0.0.1'), dev(2, '127.0.0.1'), dev(3, 'LocalHost', 0), dev(4, '127.66.0.1'), dev(5, '::1', 6), dev(6, 'nowhere.invalid', 0)]
  const outcome = (target: string): TargetOutcome => target === '127.66.0.1'
    ? { target, at: 2003, success: false, response_time_ms: null, error_message: 'No response (timeout)' }
    : target === 'nowhere.invalid'
      ? { target, at: 2004, success: false, response_time_ms: null, error_message: 'Unknown host' }
      : { target, at: target === '::1' ? 2001 : 2000, success: true, response_time_ms: target === '::1' ? 0 : 0.456, error_message: '' }
  const byMap = await runCycle(devices, async (targets) => new Map(targets.map((x) => [x.target, outcome(x.target)])))
  // two tasks, as the engine splits a list, each answered in its own order; the last target has no result
  const byColumns = await runCycle(devices, async (targets) => {
    const first = targets.slice(0, 2).map((x) => outcome(x.target))
    const second = targets.slice(2, targets.length - 1).map((x) => outcome(x.target))
    const merged = mergeOutcomes(targets.length, [{ offset: 2, r: structuredClone(encodeOutcomes(second)) }, { offset: 0, r: structuredClone(encodeOutcomes(first)) }])
    merged.at[targets.length - 1] = NaN
    return merged
  }, () => 2005)
  const missing = { ...byMap.rowsOnce()[5], at: 2005, row: { ...byMap.rowsOnce()[5].row, timestamp: formatLocalIso(2005), error_message: 'No result from ping worker' } }
  t.same(byColumns.rowsOnce(), [...byMap.rowsOnce().slice(0, 5), missing])
  t.same(byColumns.rowsOnce().map((x) => x.row.response_time_ms), [0.46, 0.46, 0.46, null, 0, null], 'a zero round-trip stays 0, a failure null')
  t.equal(byColumns.up, 4)
  t.equal(byColumns.down, 2)
  t.equal(byColumns.targets, 5)
})

t.test('a failing pool still gives every device a failed row with the reason', async (t) => {
  const r = await runCycle([dev(1, '127.0.0.1'), dev(2, '::1', 6)], async () => { throw new Error('worker exploded') })
  t.same(r.rowsOnce().map((x) => [x.row.ping_success, x.row.error_message]), [[false, 'Ping worker failed: worker exploded'], [false, 'Ping worker failed: worker exploded']])
})

t.test('runCycle on the same device list again: a device added, replaced or re-addressed in place is pinged as it is now', async (t) => {
  // the targets of a list are worked out once and kept for that array; each change below must show
  const asked: string[][] = []
  const ping = async (targets: Array<{ target: string }>) => {
    asked.push(targets.map((x) => x.target))
    targets.length = 0 // the pinger may do what it likes with its argument
    return new Map<string, TargetOutcome>()
  }
  const devices = [dev(1, '127.0.0.1'), dev(2, '127.0.0.2')]
  await runCycle(devices, ping)
  await runCycle(devices, ping)
  devices.push(dev(3, '127.0.0.1'), dev(4, '127.0.0.4'))
  await runCycle(devices, ping)
  devices[0] = dev(1, '127.0.0.9')
  await runCycle(devices, ping)
  devices[1].ip_address = 'LOCALHOST'
  devices[1].family = 0
  const r = await runCycle(devices, ping)
  t.same(asked, [
    ['127.0.0.1', '127.0.0.2'],
    ['127.0.0.1', '127.0.0.2'],
    ['127.0.0.1', '127.0.0.2', '127.0.0.4'],
    ['127.0.0.9', '127.0.0.2', '127.0.0.1', '127.0.0.4'],
    ['127.0.0.9', 'localhost', '127.0.0.1', '127.0.0.4']
  ])
  t.same(r.rowsOnce().map((x) => [x.row.device_id, x.row.ip_address]), [[1, '127.0.0.9'], [2, 'LOCALHOST'], [3, '127.0.0.1'], [4, '127.0.0.4']])
  t.equal(r.targets, 4)
})

// The scheduler tests run on a fake clock: the monitor's time reads and timers, and the fake ping's
// duration, are all on it, so every time is exact and nothing waits for real time to pass.
const T0 = Date.UTC(2026, 5, 1, 12, 0, 0)

function makeMonitor (pingMs: () => number, intervalMs = 100, stopGraceMs = 1000) {
  const clock = FakeTimers.createClock(T0)
  let concurrent = 0
  let maxConcurrent = 0
  const starts: number[] = []
  const cycles: CycleInfo[] = []
  const warnings: string[] = []
  const infos: string[] = []
  const m = new Monitor({
    intervalMs,
    stopGraceMs,
    devices: () => [dev(1, '127.0.0.1')],
    ping: async (targets, signal) => {
      starts.push(clock.now - T0)
      concurrent++
      maxConcurrent = Math.max(maxConcurrent, concurrent)
      await new Promise<void>((resolve, reject) => {
        const timer = clock.setTimeout(() => resolve(), pingMs())
        signal.addEventListener('abort', () => { clock.clearTimeout(timer); reject(new Error('aborted')) })
      })
      concurrent--
      return new Map(targets.map((x) => [x.target, { target: x.target, at: clock.now, success: true, response_time_ms: 1, error_message: '' }]))
    },
    onCycle: (_cycle, info) => { cycles.push(info) },
    log: { ...silent, info: (_o: object, msg?: string) => infos.push(String(msg)), warn: (_o: object, msg?: string) => warnings.push(String(msg)) },
    clock: { now: () => clock.now, setTimeout: (fn, ms) => clock.setTimeout(fn, ms), clearTimeout: (h) => clock.clearTimeout(h as FakeTimers.TimerId) }
  })

  /** a real turn of the event loop: the promises that the timers fired so far resolved settle */
  const settle = () => new Promise((resolve) => setImmediate(resolve))

  /**
   * Fires the fake clock's timers one at a time (each at its exact time), the promises settling
   * after each, until done() holds. Throws if it never does: no timer left, or one too many fired.
   */
  async function runUntil (done: () => boolean, limit = 1000): Promise<void> {
    for (let fired = 0; ; fired++) {
      await settle()
      if (done()) return
      if (clock.countTimers() === 0) throw new Error('no timer left to fire')
      if (fired === limit) throw new Error(`still not done after ${limit} timers`)
      await clock.nextAsync()
    }
  }

  /** runs the clock until p settles; gives the clock's time then, from T0 */
  async function settledAt (p: Promise<unknown>): Promise<number> {
    let done = false
    p.then(() => { done = true }, () => { done = true })
    await runUntil(() => done)
    await p
    return clock.now - T0
  }

  return { m, clock, starts, cycles, warnings, infos, runUntil, settledAt, maxConcurrent: () => maxConcurrent }
}

t.test('fixed rate: cycles start on the interval grid, never overlap', async (t) => {
  const { m, clock, starts, cycles, infos, runUntil, settledAt, maxConcurrent } = makeMonitor(() => 20, 100)
  m.start()
  m.start()
  await runUntil(() => cycles.length === 6)
  // cycle k starts at start + k·interval, to the millisecond; the first at once
  t.same(starts, [0, 100, 200, 300, 400, 500])
  t.same(cycles.map((c) => [c.number, c.started_at, c.duration_ms]), [0, 1, 2, 3, 4, 5].map((k) => [k + 1, formatLocalIso(T0 + k * 100), 20]), 'each cycle timed on the clock')
  // between two cycles: stop ends at once and cancels the next
  t.equal(await settledAt(m.stop()), 520)
  t.equal(m.status().cycles, 6)
  t.equal(maxConcurrent(), 1)
  t.equal(m.status().overruns, 0)
  t.equal(m.status().running, false)
  t.equal(clock.countTimers(), 0, 'nothing left scheduled')
  await clock.runAllAsync()
  t.equal(starts.length, 6, 'no cycle after stop')
  t.same(infos.filter((x) => x.startsWith('monitor')), ['monitor started', 'monitor stopped'], 'the second start did nothing')
})

t.test('an overrunning cycle is followed at once by the next, with a warning and a count', async (t) => {
  let n = 0
  const { m, starts, warnings, runUntil, settledAt, maxConcurrent } = makeMonitor(() => (n++ === 1 ? 250 : 10), 100)
  m.start()
  await runUntil(() => starts.length === 5)
  t.equal(await settledAt(m.stop()), 560)
  t.equal(m.status().overruns, 1)
  t.same(warnings, ['cycle overran the interval; next cycle starts now'])
  // cycle 2 (at 100) took 250 ms: cycle 3 starts the moment it ends, the slot at 200 is skipped,
  // and the grid goes on from there
  t.same(starts, [0, 100, 350, 450, 550])
  t.equal(starts[2] - starts[1], 250, 'next cycle right after the long one')
  t.equal(starts[3] - starts[2], 100, 'then back to the interval')
  t.equal(maxConcurrent(), 1)
})

t.test('stop waits for the cycle in flight, and abandons it after the grace period', async (t) => {
  const a = makeMonitor(() => 150, 1000)
  a.m.start()
  // 20 ms into the first cycle (tickAsync is exact here: it would put a zero-delay timer set while
  // it runs 1 ms late, and none is set)
  await a.clock.tickAsync(20)
  t.same(a.starts, [0])
  t.equal(await a.settledAt(a.m.stop()), 150, 'waited for the cycle: stop ends when it does')
  t.equal(a.m.status().cycles, 1)
  t.equal(a.m.status().abandoned_cycles, 0)
  t.equal(a.clock.countTimers(), 0, 'the grace timer is cleared')
  t.same(a.warnings, [])

  const b = makeMonitor(() => 5000, 1000, 100)
  b.m.start()
  await b.clock.tickAsync(20)
  t.same(b.starts, [0])
  t.equal(await b.settledAt(b.m.stop()), 120, 'bounded: stop ends stopGraceMs after it began')
  t.match(b.m.status(), { cycles: 0, abandoned_cycles: 1, running: false, cycle_in_flight: false, last_cycle: null })
  t.same(b.warnings, ['abandoned the cycle in flight'])
  t.same(b.cycles, [], 'the abandoned cycle\'s results are dropped')
  t.equal(b.clock.countTimers(), 0, 'the abandoned ping was aborted')
})

t.test('start and stop are idempotent', async (t) => {
  const { m, clock, starts, infos, runUntil, settledAt } = makeMonitor(() => 20, 100)
  t.equal(await settledAt(m.stop()), 0, 'stop before start ends at once')
  m.start()
  m.start()
  t.equal(clock.countTimers(), 1, 'one cycle scheduled')
  await runUntil(() => starts.length === 2)
  t.same(starts, [0, 100])
  const first = m.stop()
  const second = m.stop()
  t.equal(await settledAt(Promise.all([first, second])), 120, 'both wait for the cycle in flight')
  t.equal(await settledAt(m.stop()), 120, 'a third stop ends at once')
  t.match(m.status(), { running: false, cycles: 2, cycle_in_flight: false })
  t.equal(clock.countTimers(), 0)
  t.same(infos.filter((x) => x.startsWith('monitor')), ['monitor started', 'monitor stopped'])
})
