import t from 'tap'
import { build, createMysqlInventory, readCsvFiles, waitFor, NETNS_SKIP, type BuiltApp } from '../helper.js'
import { dbBridge } from '../bridge.js'

// Real MariaDB, real ping processes, real HTTP. 127.66.0.0/16 does not answer inside the test namespace.
const ROWS = [
  { id: 1, ip: '127.0.0.1', hostname: 'gateway', kondisi: 'baik' },
  { id: 2, ip: '127.66.0.1', hostname: 'dead-switch', kondisi: 'maintenance' },
  { id: 3, ip: '::1', hostname: null, kondisi: 'baik' },
  { id: 4, ip: 'localhost', hostname: 'by-name', kondisi: 'baik' },
  { id: 5, ip: '127.0.0.1', hostname: 'same-ip-twin', kondisi: 'baik' },
  { id: 6, ip: '-c 100', hostname: 'option-like', kondisi: 'baik' },
  { id: 7, ip: '1.2.3.4;reboot', hostname: 'shell', kondisi: 'baik' },
  { id: 8, ip: '127.0.0.8', hostname: 'lost', kondisi: 'hilang' },
  { id: 9, ip: ' 127.0.0.9 ', hostname: '', kondisi: 'baik' }
]

async function http (b: BuiltApp, method: string, path: string, headers: Record<string, string> = {}) {
  const address = b.app.server.address() as { port: number }
  const res = await fetch(`http://127.0.0.1:${address.port}${path}`, { method, headers })
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: JSON.parse(text), text }
}

const csvRows = (dir: string) => readCsvFiles(dir, 'ping_results', 'timestamp,device_id,ip_address,hostname,ping_success,response_time_ms,error_message')

t.test('the service end to end on a MariaDB inventory', { skip: NETNS_SKIP }, async (t) => {
  const { database, knex } = await createMysqlInventory(t, ROWS)
  const bridge = await dbBridge(t)
  const env = { DB_CONNECTION: 'mysql', DB_HOST: '127.0.0.1', DB_PORT: String(bridge.port), DB_DATABASE: database, DB_USERNAME: 'root', DB_PASSWORD: '', PING_INTERVAL: '1', PING_TIMEOUT: '0.5', DEVICE_CHECK_INTERVAL: '1' }
  const b = await build(t, env)
  await b.app.service.start()
  await b.app.listen({ host: '127.0.0.1', port: 0 })
  await waitFor(() => b.app.monitor.status().cycles >= 2, 15_000, 'two cycles')

  t.test('health and service status', async (t) => {
    const h = await http(b, 'GET', '/api/health')
    t.equal(h.status, 200)
    t.match(h.body, { success: true, status: 'healthy', service: 'multi-ping-monitor', inventory: { healthy: true, devices: 6, skipped_rows: 2 }, csv: { healthy: true }, ping_program: { usable: true } })
    t.notMatch(h.text, /password/i)
    const s = await http(b, 'GET', '/api/ping/service/status')
    t.match(s.body.data, { running: true, interval_s: 1, timeout_s: 0.5, workers: 20, mode: 'parallel', devices: 6, skipped_rows: 2, overruns: 0 })
    t.ok(s.body.data.cycles >= 2)
    t.match(s.body.data.last_cycle, { devices: 6, up: 5, down: 1 })
    t.same(s.body.data.skipped.map((x: any) => [x.device_id, x.reason]), [[6, 'not an IPv4/IPv6 address or hostname'], [7, 'not an IPv4/IPv6 address or hostname']])
  })

  t.test('skipped rows are logged once each with their reason', async (t) => {
    const skipped = b.logs.find('skipped inventory row')
    t.same(skipped.map((l) => [l.device_id, l.ip]).sort(), [[6, '-c 100'], [7, '1.2.3.4;reboot']])
  })

  t.test('latest: one row per monitored device, newest first, right values', async (t) => {
    const r = await http(b, 'GET', '/api/ping/latest')
    t.equal(r.status, 200)
    t.equal(r.body.count, 6)
    const byId = Object.fromEntries(r.body.data.map((x: any) => [x.device_id, x]))
    t.same(Object.keys(byId).map(Number).sort(), [1, 2, 3, 4, 5, 9])
    t.match(byId[1], { ip_address: '127.0.0.1', hostname: 'gateway', ping_success: true, response_time_ms: Number, error_message: '' })
    t.match(byId[2], { ip_address: '127.66.0.1', hostname: 'dead-switch', ping_success: false, response_time_ms: null, error_message: 'No response (timeout)' })
    t.match(byId[3], { ip_address: '::1', hostname: '::1', ping_success: true })
    t.match(byId[4], { ip_address: 'localhost', hostname: 'by-name', ping_success: true })
    t.match(byId[5], { ip_address: '127.0.0.1', hostname: 'same-ip-twin', ping_success: true })
    t.match(byId[9], { ip_address: '127.0.0.9', hostname: '127.0.0.9', ping_success: true })
    const times = r.body.data.map((x: any) => Date.parse(x.timestamp))
    t.same(times, [...times].sort((a, b) => b - a), 'newest first')
    t.match(r.body.data[0].timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/)
    t.equal((await http(b, 'GET', '/api/ping/latest?limit=2')).body.count, 2)
    for (const q of ['limit=abc', 'limit=0', 'limit=10001', 'limit=-1', 'limit=1.5']) {
      const bad = await http(b, 'GET', `/api/ping/latest?${q}`)
      t.equal(bad.status, 400, q)
      t.match(bad.body, { success: false, error: /limit/ }, q)
    }
  })

  t.test('status: online and offline devices with last_seen', async (t) => {
    const r = await http(b, 'GET', '/api/ping/status')
    t.match(r.body.data, { total_devices: 6, online_devices: 5, offline_devices: 1, pending_devices: 0 })
    t.match(r.body.data.devices.offline, [{ device_id: 2, ip_address: '127.66.0.1', hostname: 'dead-switch', last_seen: null, error_message: 'No response (timeout)' }])
    t.equal(r.body.data.devices.online.length, 5)
    for (const d of r.body.data.devices.online) {
      t.match(d, { last_seen: String, response_time_ms: Number })
      t.ok(Date.parse(d.last_seen) > Date.now() - 10_000)
    }
  })

  t.test('device history and statistics', async (t) => {
    const h = await http(b, 'GET', '/api/ping/device/1?hours=1')
    t.equal(h.status, 200)
    t.match(h.body, { success: true, device_id: 1, hours: 1 })
    t.ok(h.body.count >= 2)
    t.ok(h.body.data.every((x: any) => x.device_id === 1 && x.ping_success === true))
    const ts = h.body.data.map((x: any) => Date.parse(x.timestamp))
    t.same(ts, [...ts].sort((a, b) => b - a), 'newest first')
    t.equal((await http(b, 'GET', '/api/ping/device/0.5?hours=0.001')).status, 400)
    const nf = await http(b, 'GET', '/api/ping/device/999')
    t.equal(nf.status, 404)
    t.match(nf.body, { success: false, error: /999/ })
    for (const p of ['/api/ping/device/abc', '/api/ping/device/1?hours=-3', '/api/ping/device/1?hours=abc', '/api/ping/device/1?hours=0']) {
      const bad = await http(b, 'GET', p)
      t.equal(bad.status, 400, p)
      t.equal(bad.body.success, false)
    }
    const down = await http(b, 'GET', '/api/ping/statistics?device_id=2&hours=1')
    t.match(down.body, { success: true, device_id: 2, hours: 1, statistics: { successful_pings: 0, success_rate: 0, average_response_time_ms: null, min_response_time_ms: null, max_response_time_ms: null } })
    t.equal(down.body.statistics.failed_pings, down.body.statistics.total_pings)
    const up = await http(b, 'GET', '/api/ping/statistics?device_id=1&hours=1')
    t.match(up.body.statistics, { success_rate: 100, failed_pings: 0 })
    t.ok(up.body.statistics.min_response_time_ms <= up.body.statistics.average_response_time_ms)
    t.ok(up.body.statistics.average_response_time_ms <= up.body.statistics.max_response_time_ms)
    const all = await http(b, 'GET', '/api/ping/statistics')
    t.match(all.body, { device_id: null, hours: 24 })
    t.ok(all.body.statistics.total_pings >= 12)
    t.equal(all.body.statistics.success_rate, Math.round(all.body.statistics.successful_pings / all.body.statistics.total_pings * 10000) / 100)
    t.equal((await http(b, 'GET', '/api/ping/statistics?device_id=abc')).status, 400)
    const none = await http(b, 'GET', '/api/ping/statistics?device_id=424242')
    t.match(none.body.statistics, { total_pings: 0, success_rate: 0, average_response_time_ms: null })
  })

  t.test('history routes: limit, timeline, overview, new statistics, hours bounded by HISTORY_HOURS', async (t) => {
    const lim = await http(b, 'GET', '/api/ping/device/2?hours=1&limit=1')
    t.equal(lim.body.count, 1)
    t.match(lim.body.data[0], { device_id: 2, ping_success: false, error_message: 'No response (timeout)' })
    const tooLong = await http(b, 'GET', '/api/ping/device/1?hours=25')
    t.equal(tooLong.status, 400)
    t.match(tooLong.body.error, /hours must be <= 24/)
    t.equal((await http(b, 'GET', '/api/ping/statistics?hours=24.5')).status, 400)
    const dec = await http(b, 'GET', '/api/ping/statistics?hours=0.5&device_id=2')
    t.match(dec.body, { hours: 0.5, statistics: { packet_loss_percent: 100, p50_response_time_ms: null, p95_response_time_ms: null, jitter_ms: null } })
    const up = await http(b, 'GET', '/api/ping/statistics?device_id=1&hours=1')
    t.match(up.body.statistics, { packet_loss_percent: 0, p50_response_time_ms: Number, p95_response_time_ms: Number, jitter_ms: Number })
    const tl = await http(b, 'GET', '/api/ping/devices/1/timeline?hours=0.1&bucket=60')
    t.equal(tl.status, 200)
    t.match(tl.body, { success: true, device_id: 1, hours: 0.1, bucket: 60 })
    t.ok(tl.body.count >= 6 && tl.body.count <= 8, `${tl.body.count} buckets of 60 s in 6 minutes`)
    const pings = tl.body.data.reduce((a: number, x: any) => a + x.pings, 0)
    t.equal(pings, (await http(b, 'GET', '/api/ping/device/1?hours=0.1')).body.count, 'every ping in a bucket')
    t.equal((await http(b, 'GET', '/api/ping/devices/999/timeline')).status, 404)
    t.equal((await http(b, 'GET', '/api/ping/devices/1/timeline?bucket=1')).status, 400)
    const ov = await http(b, 'GET', '/api/ping/overview?minutes=5&points=5')
    t.equal(ov.body.count, 6)
    const down = ov.body.data.find((x: any) => x.device_id === 2)
    t.match(down, { loss_percent: 100, spark: [null, null, null, null, null] })
    t.match(ov.body.data.find((x: any) => x.device_id === 1), { loss_percent: 0 })
  })

  t.test('test ping: literals only, writes nothing', async (t) => {
    const before = csvRows(b.csvDir).length
    const ok = await http(b, 'POST', '/api/ping/test/127.0.0.42')
    t.match(ok.body, { success: true, ip_address: '127.0.0.42', ping_result: { success: true, response_time_ms: Number, error_message: '' } })
    const v6 = await http(b, 'POST', '/api/ping/test/::1')
    t.match(v6.body.ping_result, { success: true })
    const down = await http(b, 'POST', '/api/ping/test/127.66.9.9')
    t.match(down.body.ping_result, { success: false, response_time_ms: null, error_message: 'No response (timeout)' })
    for (const bad of ['localhost', 'abc', '1.2.3.4;reboot', '-c%201', '300.1.1.1']) {
      const r = await http(b, 'POST', `/api/ping/test/${bad}`)
      t.equal(r.status, 400, bad)
      t.match(r.body, { success: false, error: /Not an IPv4 or IPv6 address/ })
    }
    t.ok(csvRows(b.csvDir).every((r) => r[2] !== '127.0.0.42' && r[2] !== '127.66.9.9'), 'nothing written for test pings')
    t.ok(csvRows(b.csvDir).length >= before)
  })

  t.test('unknown routes and methods are JSON 404s', async (t) => {
    const r = await http(b, 'GET', '/api/nope')
    t.equal(r.status, 404)
    t.match(r.body, { success: false, error: 'Route GET /api/nope not found' })
    t.equal((await http(b, 'DELETE', '/api/ping/latest')).status, 404)
  })

  t.test('inventory reload: added devices join, hilang and deleted devices leave', async (t) => {
    await knex('inventaris').insert({ id: 10, ip: '127.0.0.10', hostname: 'new', kondisi: 'baik', jenis_barang_id: 1, id_lokasi: 1 })
    await knex('inventaris').where({ id: 4 }).update({ kondisi: 'hilang' })
    await knex('inventaris').where({ id: 9 }).delete()
    const ids = await waitFor(async () => {
      const r = await http(b, 'GET', '/api/ping/latest')
      const ids = r.body.data.map((x: any) => x.device_id).sort((a: number, c: number) => a - c)
      return ids.includes(10) && !ids.includes(4) ? ids : null
    }, 10_000, 'inventory change')
    t.same(ids, [1, 2, 3, 5, 10])
    const s = await http(b, 'GET', '/api/ping/status')
    t.equal(s.body.data.total_devices, 5)
  })

  t.test('database outage: monitoring continues on the last inventory, health degraded, recovers', async (t) => {
    bridge.down()
    const degraded = await waitFor(async () => {
      const h = await http(b, 'GET', '/api/health')
      return h.body.status === 'degraded' ? h.body : null
    }, 15_000, 'degraded health')
    t.match(degraded.reasons, [/inventory database unreachable/])
    t.equal(degraded.inventory.devices, 5)
    const cycles = b.app.monitor.status().cycles
    await waitFor(() => b.app.monitor.status().cycles >= cycles + 2, 10_000, 'cycles during the outage')
    t.equal((await http(b, 'GET', '/api/ping/status')).body.data.total_devices, 5, 'still monitoring the last inventory')
    await bridge.up()
    await waitFor(async () => (await http(b, 'GET', '/api/health')).body.status === 'healthy', 15_000, 'recovery')
    t.pass('recovered by itself')
  })

  t.test('stop and start: nothing is pinged or written while stopped', async (t) => {
    const stop = await http(b, 'POST', '/api/ping/service/stop')
    t.match(stop.body, { success: true, data: { running: false } })
    t.match((await http(b, 'POST', '/api/ping/service/stop')).body, { success: true, data: { running: false } }, 'idempotent')
    await b.app.resultWriter.drain()
    const rows = csvRows(b.csvDir)
    const cycles = b.app.monitor.status().cycles
    await new Promise((resolve) => setTimeout(resolve, 2200))
    t.equal(csvRows(b.csvDir).length, rows.length, 'no rows while stopped')
    t.equal(b.app.monitor.status().cycles, cycles)
    t.equal((await http(b, 'GET', '/api/ping/latest')).status, 200, 'API keeps serving')
    const start = await http(b, 'POST', '/api/ping/service/start')
    t.match(start.body, { success: true, data: { running: true } })
    t.match((await http(b, 'POST', '/api/ping/service/start')).body.data, { running: true })
    await waitFor(() => b.app.monitor.status().cycles > cycles, 5000, 'a cycle after start')
  })

  t.test('CSV: every device exactly one row per cycle', async (t) => {
    await http(b, 'POST', '/api/ping/service/stop')
    await b.app.resultWriter.drain()
    const rows = csvRows(b.csvDir)
    const cycles = b.app.monitor.status().cycles
    // devices 1, 2, 3, 5 were monitored from the first cycle to the last
    for (const id of ['1', '2', '3', '5']) t.equal(rows.filter((r) => r[1] === id).length, cycles, `device ${id}`)
    for (const r of rows) {
      t.match(r[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/)
      t.ok(r[4] === 'true' ? /^\d+\.\d\d$/.test(r[5]) && r[6] === '' : r[5] === '' && r[6] !== '', `row ${r.join(',')}`)
    }
  })
})

t.test('history survives a restart; the inventory waits for a database that is down at start', { skip: NETNS_SKIP }, async (t) => {
  const { database } = await createMysqlInventory(t, ROWS.slice(0, 3))
  const bridge = await dbBridge(t, false)
  const env = { DB_CONNECTION: 'mysql', DB_HOST: '127.0.0.1', DB_PORT: String(bridge.port), DB_DATABASE: database, PING_INTERVAL: '1', PING_TIMEOUT: '0.5', DEVICE_CHECK_INTERVAL: '1' }
  const first = await build(t, env)
  await first.app.service.start()
  await first.app.listen({ host: '127.0.0.1', port: 0 })
  const h = await http(first, 'GET', '/api/health')
  t.match(h.body, { status: 'degraded', inventory: { loaded: false, devices: 0 } })
  t.match(h.body.reasons, [/inventory not loaded yet/])
  await bridge.up()
  await waitFor(() => first.app.inventory.status().loaded, 15_000, 'first load after the database came up')
  await waitFor(() => first.app.monitor.status().last_cycle?.devices === 3, 10_000, 'a cycle with devices')
  await first.app.close()
  const before = csvRows(first.csvDir).filter((r) => r[1] === '1').length
  t.ok(before >= 1)

  const second = await build(t, { ...env, CSV_OUTPUT_DIR: first.csvDir })
  await second.app.listen({ host: '127.0.0.1', port: 0 })
  const restartedAt = Date.now()
  await second.app.service.start()
  await waitFor(() => !second.app.historyLoading(), 10_000, 'history read back')
  const health = await http(second, 'GET', '/api/health')
  t.equal(health.body.history.loading, false)
  const hist = await http(second, 'GET', '/api/ping/device/1?hours=1')
  const old = hist.body.data.filter((r: any) => Date.parse(r.timestamp) < restartedAt)
  t.equal(old.length, before, 'rows from before the restart')
  // the second instance's own cycles have been adding rows to the same files meanwhile
  t.same(old.map((r: any) => r.timestamp).reverse(), csvRows(first.csvDir).filter((r) => r[1] === '1' && Date.parse(r[0]) < restartedAt).map((r) => r[0]), 'the same rows')
  const seeded = await waitFor(async () => {
    const s = await http(second, 'GET', '/api/ping/status')
    return s.body.data.devices.offline.length === 1 ? s.body.data : null
  }, 10_000, 'status seeded from history')
  t.equal(seeded.devices.offline[0].device_id, 2)
})
