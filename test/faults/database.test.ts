import t from 'tap'
import { build, createMysqlInventory, waitFor, NETNS_SKIP } from '../helper.js'
import { dbBridge } from '../bridge.js'

// The inventory database misbehaves behind a bridge the test controls: it stalls (connections hang,
// queries never answer) and it flaps. Cycles never stop and never overrun because of it; health says
// degraded with the reason while it lasts and recovers by itself. The interval is 1 s, not 0.5: the
// cycle never waits on the database (its stages are synchronous), so an overrun here can only come
// from CPU contention, and at 0.5 s a full CI run on 2 cores made one now and then.
t.setTimeout(240_000)
const ROWS = Array.from({ length: 20 }, (_, i) => ({ id: i + 1, ip: `127.5.0.${i + 1}`, hostname: `dev-${i + 1}`, kondisi: 'baik' }))

t.test('a stalled and a flapping database', { skip: NETNS_SKIP }, async (t) => {
  const { database } = await createMysqlInventory(t, ROWS)
  const bridge = await dbBridge(t)
  const { app } = await build(t, { DB_CONNECTION: 'mysql', DB_HOST: '127.0.0.1', DB_PORT: String(bridge.port), DB_DATABASE: database, PING_INTERVAL: '1', PING_TIMEOUT: '0.4', DEVICE_CHECK_INTERVAL: '1' })
  await app.service.start()
  await waitFor(() => app.monitor.status().last_cycle?.devices === 20, 15_000, 'first cycles')
  const health = async () => (await app.inject('/api/health')).json()

  t.test('stalled: queries hang past their timeout', async (t) => {
    const before = app.monitor.status()
    bridge.stall()
    const degraded = await waitFor(async () => { const h = await health(); return h.status === 'degraded' ? h : null }, 60_000, 'degraded while stalled')
    t.match(degraded.reasons.join(' '), /inventory database unreachable/)
    t.equal(degraded.inventory.devices, 20, 'the last inventory is kept')
    const during = app.monitor.status()
    t.ok(during.cycles > before.cycles + 5, `cycles go on (${during.cycles - before.cycles} during the stall)`)
    t.equal(during.overruns, before.overruns, 'no overruns caused by the database')
    bridge.resume()
    await waitFor(async () => (await health()).status === 'healthy', 60_000, 'recovery after the stall')
    t.pass('recovered by itself')
  })

  t.test('flapping: down and up every 2 s for 20 s', async (t) => {
    const before = app.monitor.status()
    let sawDegraded = false
    for (let i = 0; i < 5; i++) {
      bridge.down()
      await new Promise((resolve) => setTimeout(resolve, 2000))
      if ((await health()).status === 'degraded') sawDegraded = true
      await bridge.up()
      await new Promise((resolve) => setTimeout(resolve, 2000))
    }
    t.ok(sawDegraded, 'health said degraded while it was down')
    const after = app.monitor.status()
    t.ok(after.cycles >= before.cycles + 15, `${after.cycles - before.cycles} cycles in 20 s at 1 s`)
    t.equal(after.overruns, before.overruns, 'no overruns')
    await waitFor(async () => (await health()).status === 'healthy', 30_000, 'healthy after the flapping')
    t.equal((await health()).inventory.devices, 20)
  })
})
