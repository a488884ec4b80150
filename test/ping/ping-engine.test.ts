import t from 'tap'
import { PingEngine, type PingEngineOptions } from '../../src/ping/ping-engine.js'
import { findExecutable } from '../../src/ping/ping-backend.js'
import { IN_NETNS, type TestContext } from '../helper.js'

// real ping and fping processes, against loopback only; dropped hosts only inside the test namespace
const HAS_FPING = findExecutable('fping') !== null

function engine (t: TestContext, opts: Partial<PingEngineOptions>): PingEngine {
  const e = new PingEngine({ command: 'ping', flavor: 'iputils', timeoutMs: 1000, intervalMs: 5000, maxInFlight: 4, parallel: true, ...opts })
  t.teardown(() => e.close())
  return e
}

for (const backend of ['ping', 'fping'] as const) {
  t.test(`${backend} backend: IPv4, IPv6 and a hostname in one call`, { skip: backend === 'fping' && !HAS_FPING ? 'fping not installed' : false }, async (t) => {
    const e = engine(t, { backend })
    const before = Date.now()
    const out = await e.pingAll([{ target: '127.0.0.1', family: 4 }, { target: '::1', family: 6 }, { target: 'localhost', family: 0 }, { target: '127.0.0.2', family: 4 }])
    t.same([...out.keys()].sort(), ['127.0.0.1', '127.0.0.2', '::1', 'localhost'])
    for (const o of out.values()) {
      t.equal(o.success, true, o.target)
      t.ok(typeof o.response_time_ms === 'number' && o.response_time_ms >= 0 && o.response_time_ms < 1000, `${o.target} rtt`)
      t.equal(o.error_message, '')
      t.ok(o.at >= before && o.at <= Date.now())
    }
  })

  t.test(`${backend} backend: dropped and unresolvable hosts read the same with both backends`, { skip: !IN_NETNS ? 'needs the private network namespace: run through `npm test`' : backend === 'fping' && !HAS_FPING ? 'fping not installed' : false }, async (t) => {
    const e = engine(t, { backend })
    const targets = [{ target: '127.66.0.1', family: 4 as const }, { target: '127.66.0.2', family: 4 as const }, { target: '127.0.0.1', family: 4 as const }, { target: 'nosuchhost.invalid', family: 0 as const }]
    const out = await e.pingAll(targets)
    t.same(Object.fromEntries([...out.values()].map((o) => [o.target, [o.success, o.error_message]])), {
      '127.66.0.1': [false, 'No response (timeout)'],
      '127.66.0.2': [false, 'No response (timeout)'],
      '127.0.0.1': [true, ''],
      // no DNS server inside the namespace
      'nosuchhost.invalid': [false, 'Unknown host (name resolution failed)']
    })
  })

  t.test(`${backend} backend: a missing program fails every target with the reason`, async (t) => {
    const e = engine(t, backend === 'fping' ? { backend, fpingCommand: '/nonexistent/fping' } : { backend, command: '/nonexistent/ping' })
    const out = await e.pingAll([{ target: '127.0.0.1', family: 4 }, { target: '::1', family: 6 }])
    // a map by target: the ping backend's two processes may fail in either order
    t.equal(out.size, 2)
    t.same(['127.0.0.1', '::1'].map((target) => out.get(target)).map((o) => [o?.target, o?.success, o?.error_message]), [
      ['127.0.0.1', false, `Ping program not found: /nonexistent/${backend}`],
      ['::1', false, `Ping program not found: /nonexistent/${backend}`]
    ])
  })
}

t.test('fping backend: batches over several processes, at most maxInFlight at once, each target once', { skip: HAS_FPING ? false : 'fping not installed' }, async (t) => {
  const e = engine(t, { backend: 'fping', fpingBatchSize: 7, maxInFlight: 2 })
  const targets = Array.from({ length: 30 }, (_, i) => ({ target: `127.0.1.${i + 1}`, family: 4 as const }))
  const out = await e.pingAll(targets)
  t.equal(out.size, 30)
  t.ok([...out.values()].every((o) => o.success))
})

t.test('auto falls back to ping when fping cannot ping', async (t) => {
  const e = engine(t, { backend: 'fping', fpingCommand: '/nonexistent/fping', fallbackToPing: true })
  const check = await e.checkProgram()
  t.same(check, { usable: true, error: null, command: 'ping', flavor: 'iputils', backend: 'ping' })
  t.equal(e.backend, 'ping')
})

t.test('an explicit fping backend stays, and says why it cannot ping', async (t) => {
  const e = engine(t, { backend: 'fping', fpingCommand: '/nonexistent/fping' })
  const check = await e.checkProgram()
  t.same(check, { usable: false, error: 'Ping program not found: /nonexistent/fping', command: '/nonexistent/fping', flavor: 'iputils', backend: 'fping' })
  t.equal(e.backend, 'fping')
})

t.test('sequential mode runs one fping process at a time', { skip: HAS_FPING ? false : 'fping not installed' }, async (t) => {
  const e = engine(t, { backend: 'fping', fpingBatchSize: 2, parallel: false, maxInFlight: 1 })
  const out = await e.pingAll([{ target: '127.0.0.1', family: 4 }, { target: '127.0.0.2', family: 4 }, { target: '::1', family: 6 }])
  t.equal([...out.values()].filter((o) => o.success).length, 3)
})
