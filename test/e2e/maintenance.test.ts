import t from 'tap'
import { build, readCsvFiles, waitFor, NETNS_SKIP, type BuiltApp } from '../helper.js'
import { nftBlocker, sqliteInventory } from './device-blocking.js'
import { WebhookReceiver } from '../alerts/webhook-receiver.js'

// The whole service with real pings in the private namespace and a real webhook receiver. Devices
// on 127.66.x.x never answer (the namespace drops them); device 3 answers until this test's own nft
// table drops it (127.0.78.0/24, a range no other test uses), and answers again when it is lifted.

const ROWS = [
  { id: 1, ip: '127.66.0.1', hostname: 'in-window', kondisi: 'baik' },
  { id: 2, ip: '127.66.0.2', hostname: 'alerted-before', kondisi: 'baik' },
  { id: 3, ip: '127.0.78.3', hostname: 'recovers', kondisi: 'baik' },
  { id: 4, ip: '127.66.0.4', hostname: 'under-repair', kondisi: ' Maintenance ' },
  { id: 5, ip: '127.0.78.5', hostname: 'healthy', kondisi: 'baik' }
]

const soon = (ms: number) => new Date(Date.now() + ms).toISOString()
const eventLines = (dir: string) => readCsvFiles(dir, 'state_events', 'at,device_id,ip_address,hostname,from,to,reason')

t.test('maintenance end to end: silence during, one down alert after, nothing twice, nothing for a recovery', { skip: NETNS_SKIP }, async (t) => {
  const { block } = nftBlocker(t, 'mpm_maint')
  const { file: dbFile, knex } = await sqliteInventory(t, ROWS)

  const hook = await WebhookReceiver.start(t)
  const b: BuiltApp = await build(t, {
    SQLITE_FILE: dbFile,
    PING_INTERVAL: '0.5',
    PING_TIMEOUT: '0.5',
    DEVICE_CHECK_INTERVAL: '1',
    DOWN_AFTER_FAILURES: '2',
    UP_AFTER_SUCCESSES: '1',
    // one message per change: each is counted by its device
    ALERT_BATCH_MIN: '100',
    ALERT_RETRIES: '0',
    MAINTENANCE_OVERDUE_HOUR: '0',
    ALERT_WEBHOOK_URLS: hook.url('/hook')
  })
  const alertsFor = (id: number) => hook.received.filter((r) => r.body.device_id === id)
  const stateOf = (id: number) => b.app.deviceState.get(id)?.state
  const cyclesLater = async (n: number) => {
    const c = b.app.monitor.status().cycles
    await waitFor(() => b.app.monitor.status().cycles >= c + n, 20_000, `${n} more cycles`)
    await b.app.alerts.idle()
  }
  const post = async (body: unknown) => {
    const r = await b.app.inject({ method: 'POST', url: '/api/maintenance', payload: body as any })
    t.equal(r.statusCode, 201, r.body)
    return r.json().data
  }
  const del = async (id: number) => {
    const r = await b.app.inject({ method: 'DELETE', url: `/api/maintenance/${id}` })
    t.equal(r.statusCode, 200, r.body)
  }

  // made before the start: device 1 is in maintenance from its first ping
  const w1 = await post({ scope: { device_ids: [1] }, end: soon(3_600_000), reason: 'cabling' })
  await b.app.service.start()

  t.test('a device in a window goes down: no alert; one outside it: its alert; kondisi = maintenance: none', async (t) => {
    await waitFor(() => alertsFor(2).length === 1, 20_000, 'the alert of device 2')
    await waitFor(() => stateOf(1) === 'down' && stateOf(4) === 'down' && stateOf(3) === 'up', 20_000, 'devices 1 and 4 down')
    await cyclesLater(3)
    t.same(alertsFor(1), [], 'device 1 (window) not alerted')
    t.same(alertsFor(4), [], 'device 4 (kondisi) not alerted')
    t.match(alertsFor(2)[0].body, { type: 'state_change', from: 'unknown', to: 'down', hostname: 'alerted-before' })
    await b.app.deviceState.eventLog.settled()
    const lines = eventLines(b.csvDir).map((r) => `${r[1]}:${r[4]}>${r[5]}`)
    t.ok(lines.includes('1:unknown>down') && lines.includes('4:unknown>down'), 'their changes are still recorded')
    const m = (await b.app.inject('/api/maintenance')).json().data
    t.match(m.summary, { active_windows: 1, devices_in_maintenance: 2, by_kondisi: 1, by_window: 1, overdue: 0 })
    t.same(m.devices.map((d: any) => [d.device_id, d.maintenance.source, d.maintenance.until]), [[1, 'window', w1.end], [4, 'kondisi', null]])
    t.match((await b.app.inject('/api/health')).json().maintenance, { active_windows: 1, devices_in_maintenance: 2, overdue: 0 })
  })

  t.test('the window is deleted while the device is down: exactly one down alert', async (t) => {
    await del(w1.id)
    await waitFor(() => alertsFor(1).length >= 1, 10_000, 'the alert of device 1')
    await cyclesLater(3)
    t.equal(alertsFor(1).length, 1)
    t.match(alertsFor(1)[0].body, { type: 'state_change', device_id: 1, ip: '127.66.0.1', to: 'down', consecutive_failures: Number, down_since: String, text: /^\[DOWN\] in-window \(127\.66\.0\.1\) is down since / })
  })

  t.test('down and alerted before a window, still down when it ends: no second alert', async (t) => {
    const w = await post({ scope: { device_ids: [2] }, end: soon(2000), reason: 'short' })
    t.equal(w.active, true)
    await waitFor(async () => (await b.app.inject('/api/maintenance')).json().data.windows.length === 0, 10_000, 'the window to end')
    await cyclesLater(3)
    t.equal(stateOf(2), 'down')
    t.equal(alertsFor(2).length, 1, 'still the one alert from before the window')
  })

  t.test('down and back up during a window: nothing, during it or after it', async (t) => {
    const w = await post({ scope: { location_ids: [1] }, end: soon(3_600_000), reason: 'whole site' })
    t.match((await b.app.inject('/api/maintenance')).json().data.summary, { active_windows: 1, by_window: 4 }, 'a location window covers every device of location 1 (id_lokasi) but the one in maintenance by kondisi (device 4)')
    await del(w.id)
    const w3 = await post({ scope: { device_ids: [3] }, end: soon(3_600_000), reason: 'reboot' })
    block(['127.0.78.3'])
    await waitFor(() => stateOf(3) === 'down', 20_000, 'device 3 down')
    block([])
    await waitFor(() => stateOf(3) === 'up', 20_000, 'device 3 up again')
    await del(w3.id)
    await cyclesLater(3)
    t.same(alertsFor(3), [])
    await b.app.deviceState.eventLog.settled()
    const lines = eventLines(b.csvDir).map((r) => `${r[1]}:${r[4]}>${r[5]}`)
    t.ok(lines.includes('3:up>down') && lines.includes('3:down>up'), 'recorded, not alerted')
  })

  t.test('kondisi changes in the inventory while the device is down: one down alert', async (t) => {
    await knex('inventaris').where({ id: 4 }).update({ kondisi: 'baik' })
    await waitFor(() => alertsFor(4).length >= 1, 15_000, 'the alert of device 4')
    await cyclesLater(3)
    t.equal(alertsFor(4).length, 1)
    t.match(alertsFor(4)[0].body, { device_id: 4, to: 'down' })
    t.same(alertsFor(5), [], 'the healthy device never alerted')
    t.equal(hook.received.length, 3, 'three alerts in all: devices 2, 1 and 4')
  })
})
