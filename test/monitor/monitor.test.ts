import t from 'tap'
import { Monitor } from '../../src/monitor/monitor.js'
import { runCycle } from '../../src/monitor/cycle.js'
import type { Device } from '../../src/inventory/filter-inventory.js'
import type { TargetOutcome } from '../../src/ping/types.js'

const silent = { info () {}, warn () {}, error () {} }
const dev = (id: number, ip: string, family: 4 | 6 | 0 = 4): Device => ({ device_id: id, ip_address: ip, hostname: `h${id}`, family })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

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
  t.same(r.rows.map((x) => [x.row.device_id, x.row.ip_address, x.row.ping_success, x.row.response_time_ms, x.row.error_message]), [
    [1, '127.0.0.1', true, 0.46, ''], [2, '127.0.0.1', true, 0.46, ''], [3, 'LocalHost', true, 0.46, ''], [4, 'localhost', true, 0.46, ''], [5, '127.66.0.1', false, null, 'No response (timeout)']
  ])
  t.equal(r.up, 4)
  t.equal(r.down, 1)
})

t.test('a failing pool still gives every device a failed row with the reason', async (t) => {
  const r = await runCycle([dev(1, '127.0.0.1'), dev(2, '::1', 6)], async () => { throw new Error('worker exploded') })
  t.same(r.rows.map((x) => [x.row.ping_success, x.row.error_message]), [[false, 'Ping worker failed: worker exploded'], [false, 'Ping worker failed: worker exploded']])
})

function makeMonitor (pingMs: () => number, intervalMs = 100, stopGraceMs = 1000) {
  let concurrent = 0
  let maxConcurrent = 0
  const starts: number[] = []
  const warnings: string[] = []
  const m = new Monitor({
    intervalMs,
    stopGraceMs,
    devices: () => [dev(1, '127.0.0.1')],
    ping: async (targets, signal) => {
      starts.push(Date.now())
      concurrent++
      maxConcurrent = Math.max(maxConcurrent, concurrent)
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, pingMs())
        signal.addEventListener('abort', () => { clearTimeout(timer); reject(new Error('aborted')) })
      })
      concurrent--
      return new Map(targets.map((x) => [x.target, { target: x.target, at: Date.now(), success: true, response_time_ms: 1, error_message: '' }]))
    },
    onCycle: () => {},
    log: { ...silent, warn: (_o: object, msg?: string) => warnings.push(String(msg)) }
  })
  return { m, starts, warnings, maxConcurrent: () => maxConcurrent }
}

t.test('fixed rate: cycles start on the interval grid, never overlap', async (t) => {
  const { m, starts, maxConcurrent } = makeMonitor(() => 20, 100)
  m.start()
  m.start()
  await sleep(560)
  await m.stop()
  t.ok(starts.length >= 5 && starts.length <= 7, `about 6 cycles (${starts.length})`)
  const offsets = starts.map((s) => s - starts[0])
  for (let i = 1; i < offsets.length; i++) t.ok(Math.abs(offsets[i] - i * 100) < 40, `cycle ${i} at ${offsets[i]} ms`)
  t.equal(maxConcurrent(), 1)
  t.equal(m.status().overruns, 0)
  t.equal(m.status().running, false)
})

t.test('an overrunning cycle is followed at once by the next, with a warning and a count', async (t) => {
  let n = 0
  const { m, starts, warnings, maxConcurrent } = makeMonitor(() => (n++ === 1 ? 250 : 10), 100)
  m.start()
  await sleep(600)
  await m.stop()
  t.equal(m.status().overruns, 1)
  t.match(warnings, [/overran/])
  t.ok(starts[2] - starts[1] >= 250 && starts[2] - starts[1] < 300, 'next cycle right after the long one')
  t.ok(Math.abs(starts[3] - starts[2] - 100) < 40, 'then back to the interval')
  t.equal(maxConcurrent(), 1)
})

t.test('stop waits for the cycle in flight, and abandons it after the grace period', async (t) => {
  const a = makeMonitor(() => 150, 1000)
  a.m.start()
  await sleep(20)
  const t0 = Date.now()
  await a.m.stop()
  t.ok(Date.now() - t0 >= 100, 'waited for the cycle')
  t.equal(a.m.status().cycles, 1)
  const b = makeMonitor(() => 5000, 1000, 100)
  b.m.start()
  await sleep(20)
  const t1 = Date.now()
  await b.m.stop()
  t.ok(Date.now() - t1 < 1000, 'bounded')
  t.match(b.m.status(), { cycles: 0, abandoned_cycles: 1, running: false })
})
