import t from 'tap'
import { build, readCsvFiles, waitFor, NETNS_SKIP } from '../helper.js'
import { http, nftBlocker, shownStates as states, sqliteInventory, waitForStates } from './device-blocking.js'
import { closedPort, WebhookReceiver } from '../alerts/webhook-receiver.js'

// Real service, real pings, real HTTP receivers, inside the private network namespace. Devices go
// down and come back through this test's own nft table, which drops echo requests to chosen addresses
// of 127.0.77.0/24 (an address range no other test uses).

const ROWS = [
  { id: 1, ip: '127.0.77.1', hostname: 'gw', kondisi: 'baik' },
  { id: 2, ip: '127.0.77.2', hostname: 'sw-a', kondisi: 'baik' },
  { id: 3, ip: '127.0.77.3', hostname: 'sw-b', kondisi: 'baik' },
  { id: 4, ip: '127.0.77.4', hostname: 'sw-c', kondisi: 'baik' },
  { id: 5, ip: '127.0.77.5', hostname: 'dead', kondisi: 'baik' }
]

const eventLines = (dir: string) => readCsvFiles(dir, 'state_events', 'at,device_id,ip_address,hostname,from,to,reason')

t.test('device state, events and alerts end to end, and the state survives a restart', { skip: NETNS_SKIP }, async (t) => {
  const { block } = nftBlocker(t, 'mpm_state')
  block(['127.0.77.5'])
  const { file: dbFile, knex } = await sqliteInventory(t, ROWS)

  const good = await WebhookReceiver.start(t)
  const slow = await WebhookReceiver.start(t, () => { /* never answers */ })
  const broken = await WebhookReceiver.start(t, (_req, res) => { res.writeHead(500).end('boom') })
  const downPort = await closedPort()
  const env = {
    SQLITE_FILE: dbFile,
    PING_INTERVAL: '0.5',
    PING_TIMEOUT: '0.5',
    DEVICE_CHECK_INTERVAL: '1',
    DOWN_AFTER_FAILURES: '2',
    UP_AFTER_SUCCESSES: '2',
    ALERT_BATCH_MIN: '2',
    // every device here is in one location: this test is about device alerts and batches, not the
    // one-alert-per-site rule (test/e2e/sites.test.ts), so no number of down devices makes a site down
    SITE_DOWN_MIN: '1000000',
    ALERT_TIMEOUT: '1',
    ALERT_RETRIES: '1',
    ALERT_RETRY_DELAY: '0.05',
    ALERT_WEBHOOK_URLS: [good.url('/hook'), slow.url('/slow/SECRET-SLOW'), broken.url('/services/T0/B0/SECRET-TOKEN'), `http://127.0.0.1:${downPort}/SECRET-DOWN`].join(', ')
  }
  const first = await build(t, env)
  await first.app.service.start()
  await first.app.listen({ host: '127.0.0.1', port: 0 })

  let cyclesAtFirstAlert = 0
  t.test('first states: a reply is up at once, the dead device down after two failures; only that is alerted', async (t) => {
    const s = await waitForStates(first, { 1: 'up', 2: 'up', 3: 'up', 4: 'up', 5: 'down' }, 'first states')
    t.match(s[1], { online: true, state: 'up', consecutive_failures: 0, down_since: null })
    t.match(s[5], { online: false, state: 'down', consecutive_failures: Number, down_since: String })
    t.ok(s[5].consecutive_failures >= 2)
    const [msg] = await good.waitForReceived(1)
    cyclesAtFirstAlert = first.app.monitor.status().cycles
    t.equal(msg.path, '/hook')
    t.match(msg.body, {
      type: 'state_change',
      device_id: 5,
      ip: '127.0.77.5',
      hostname: 'dead',
      from: 'unknown',
      to: 'down',
      at: String,
      consecutive_failures: 2,
      last_error: String,
      down_since: s[5].down_since,
      text: /^\[DOWN\] dead \(127\.0\.77\.5\) is down since .*: 2 failed pings in a row/
    })
    t.equal(good.received.length, 1, 'no alert for the first states of up (they were queued first, so they would have arrived first)')
    const ev = await http(first, '/api/ping/events?hours=1')
    t.same(ev.body.data.map((e: any) => `${e.device_id}:${e.from}>${e.to}`).sort(), ['1:unknown>up', '2:unknown>up', '3:unknown>up', '4:unknown>up', '5:unknown>down'], 'first states are recorded')
  })

  t.test('three devices down in one cycle: one batch message; status and events show it', async (t) => {
    // stopped between cycles, so that the three addresses stop answering from the same cycle on
    await first.app.monitor.stop()
    block(['127.0.77.2', '127.0.77.3', '127.0.77.4', '127.0.77.5'])
    first.app.monitor.start()
    const s = await waitForStates(first, { 1: 'up', 2: 'down', 3: 'down', 4: 'down' }, 'three down')
    for (const id of [2, 3, 4]) {
      t.match(s[id], { online: false, state: 'down', down_since: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/ })
      t.ok(s[id].consecutive_failures >= 2)
    }
    const [, batch] = await good.waitForReceived(2)
    t.match(batch.body, { type: 'state_changes', count: 3, omitted: 0, text: /^\[3 devices changed state\] 3 down: sw-a \(127\.0\.77\.2\), sw-b \(127\.0\.77\.3\), sw-c \(127\.0\.77\.4\)/ })
    t.same(batch.body.events.map((e: any) => [e.device_id, e.from, e.to, e.consecutive_failures]), [[2, 'up', 'down', 2], [3, 'up', 'down', 2], [4, 'up', 'down', 2]])
    const ev = await http(first, '/api/ping/events?hours=1&device_id=3')
    t.match(ev.body, { success: true, hours: 1, device_id: 3, count: 2 })
    t.match(ev.body.data[0], { device_id: 3, ip_address: '127.0.77.3', hostname: 'sw-b', from: 'up', to: 'down', reason: /^2 failed pings in a row; last error: / })
    t.equal(ev.body.data[1].to, 'up', 'newest first')
  })

  t.test('a device comes back: one message with the length of the outage', async (t) => {
    block(['127.0.77.3', '127.0.77.4', '127.0.77.5'])
    const s = await waitForStates(first, { 2: 'up', 3: 'down' }, 'device 2 up again')
    t.match(s[2], { online: true, state: 'up', consecutive_failures: 0, down_since: null })
    const msgs = await good.waitForReceived(3)
    t.match(msgs[2].body, { type: 'state_change', device_id: 2, from: 'down', to: 'up', consecutive_failures: 0, down_since: String, text: /^\[UP\] sw-a \(127\.0\.77\.2\) is up again after \d+s down/ })
    t.equal(msgs.length, 3)
  })

  t.test('failing receivers are counted and shown in health by host only; cycles never waited for them', async (t) => {
    const h = await waitFor(async () => {
      const r = await http(first, '/api/health')
      return r.body.alerts.receivers.filter((x: any) => x.failing).length === 3 ? r : null
    }, 20_000, 'three failing receivers')
    const a = h.body.alerts
    t.match(a, { enabled: true, format: 'json', dropped: 0 })
    t.match(a.receivers[0], { host: `127.0.0.1:${good.port}`, sent: 3, failed: 0, failing: false })
    t.match(a.receivers[1], { host: `127.0.0.1:${slow.port}`, failing: true, last_error: 'no answer within 1000 ms' })
    t.match(a.receivers[2], { host: `127.0.0.1:${broken.port}`, failing: true, last_error: 'HTTP 500' })
    t.match(a.receivers[3], { host: `127.0.0.1:${downPort}`, failing: true, last_error: 'connection failed (ECONNREFUSED)' })
    t.ok(a.failed >= 3 && a.retries >= 3)
    t.equal(h.body.status, 'degraded')
    t.ok(h.body.reasons.some((r: string) => r.startsWith(`alert webhook 127.0.0.1:${broken.port} failing since`)))
    t.notMatch(h.text, /SECRET/, 'no URL path in health')
    t.notOk(first.logs.raw.some((l) => l.includes('SECRET')), 'no URL path in the log')
    // the slow receiver held its first alert for two timeouts (2 s) before it was given up
    t.ok(first.app.monitor.status().cycles >= cyclesAtFirstAlert + 2, 'cycles went on while the slow receiver held its alerts')
  })

  t.test('the event file holds every change, one line each', async (t) => {
    await first.app.deviceState.eventLog.settled()
    const lines = eventLines(first.csvDir).map((r) => `${r[1]}:${r[4]}>${r[5]}`)
    t.same(lines.filter((l) => !l.includes('unknown')), ['2:up>down', '3:up>down', '4:up>down', '2:down>up'])
    t.equal(lines.length, 9)
  })

  t.test('a device removed from the inventory leaves the state table', async (t) => {
    t.ok(first.app.deviceState.get(4))
    await knex('inventaris').where({ id: 4 }).delete()
    await waitFor(() => first.app.deviceState.get(4) === undefined, 10_000, 'device 4 dropped')
    t.notOk((await states(first))[4])
  })

  t.test('restart: states rebuilt from the CSV history, nothing alerted or recorded again', async (t) => {
    const before = await states(first)
    await first.app.close()
    const sent = good.received.length
    const recorded = eventLines(first.csvDir).length
    const second = await build(t, { ...env, CSV_OUTPUT_DIR: first.csvDir })
    await second.app.service.start()
    await second.app.listen({ host: '127.0.0.1', port: 0 })
    await waitFor(() => !second.app.historyLoading() && !second.app.deviceState.rebuilding(), 15_000, 'history read back')
    const cycles = second.app.monitor.status().cycles
    await waitFor(() => second.app.monitor.status().cycles >= cycles + 3, 15_000, 'three more cycles')
    const s = await states(second)
    t.match(s, { 1: { state: 'up' }, 2: { state: 'up' }, 3: { state: 'down' }, 5: { state: 'down' } })
    t.equal(s[3].down_since, before[3].down_since, 'the outage keeps its start')
    t.equal(s[5].down_since, before[5].down_since)
    t.equal(second.app.deviceState.get(4), undefined, 'the removed device is not brought back by the history')
    await second.app.deviceState.eventLog.settled()
    t.equal(eventLines(first.csvDir).length, recorded, 'no change recorded twice')
    t.equal(good.received.length, sent, 'no alert repeated')
    const ev = await http(second, '/api/ping/events?hours=1')
    t.equal(ev.body.count, recorded, 'events from before the restart are served')
    t.ok(second.logs.find('device states rebuilt from earlier results').length === 1)
  })
})
