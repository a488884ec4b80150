import t from 'tap'
import { build, createMysqlInventory, waitFor, MYSQL_SOCKET, NETNS_SKIP } from '../helper.js'
import { promtoolCheck, samples } from '../metrics/promtool.js'

// Real MariaDB, real pings, real HTTP, real promtool. 127.66.0.0/16 does not answer in the test namespace.
const WEIRD = 'rack "A"\\shelf\n2'
const ROWS = [
  { id: 1, ip: '127.0.0.1', hostname: 'gateway', kondisi: 'baik' },
  { id: 2, ip: '127.66.0.1', hostname: 'dead-switch', kondisi: 'baik' },
  { id: 3, ip: '::1', hostname: null, kondisi: 'baik' },
  { id: 4, ip: '127.0.0.4', hostname: WEIRD, kondisi: 'baik' },
  { id: 5, ip: '-c 100', hostname: 'option-like', kondisi: 'baik' },
  { id: 6, ip: '127.0.0.6', hostname: 'leaving', kondisi: 'baik' }
]

t.test('GET /metrics on a real service', { skip: NETNS_SKIP }, async (t) => {
  const { database, knex } = await createMysqlInventory(t, ROWS)
  const b = await build(t, { DB_CONNECTION: 'mysql', DB_SOCKET: MYSQL_SOCKET, DB_DATABASE: database, PING_INTERVAL: '1', PING_TIMEOUT: '0.5', DEVICE_CHECK_INTERVAL: '1' })
  await b.app.service.start()
  await b.app.listen({ host: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${(b.app.server.address() as { port: number }).port}/metrics`
  await waitFor(() => b.app.monitor.status().cycles >= 2, 20_000, 'two cycles')
  // the same cached read three times: the first fills the cache, a later one is a hit at the front
  // door (a new cycle in between starts over; three leave room for one)
  for (let i = 0; i < 3; i++) await (await fetch(url.replace('/metrics', '/api/ping/status'))).arrayBuffer()
  const servedBefore = b.app.frontDoor.served

  const res = await fetch(url)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  t.equal(res.headers.get('x-mpm-shard'), '0/1')
  const text = await res.text()

  t.test('promtool accepts the exposition without a lint problem', async (t) => {
    const check = await promtoolCheck(text)
    t.equal(check.code, 0, check.output)
    t.equal(check.output.trim(), '', 'nothing to complain about')
  })

  t.test('per-device up and response time, labels escaped', async (t) => {
    const up = samples(text, 'mpm_device_up')
    const byId = Object.fromEntries(up.map((s) => [s.labels.device_id, s]))
    t.same(Object.keys(byId).sort(), ['1', '2', '3', '4', '6'], 'one series per monitored device, none for the skipped row')
    // the inventory's id_lokasi / jenis_barang_id (1 in this table), '' while the inventory does not read them
    const d1 = b.app.inventory.devices()[0]
    const facts = { location_id: d1.location.id === null ? '' : String(d1.location.id), type_id: d1.type.id === null ? '' : String(d1.type.id) }
    t.match(facts, { location_id: /^1?$/, type_id: /^1?$/ })
    t.same(byId['1'], { labels: { device_id: '1', ip: '127.0.0.1', hostname: 'gateway', ...facts }, value: 1 })
    t.same(byId['2'], { labels: { device_id: '2', ip: '127.66.0.1', hostname: 'dead-switch', ...facts }, value: 0 })
    t.same(byId['3'].labels, { device_id: '3', ip: '::1', hostname: '::1', ...facts })
    t.same(byId['4'].labels.hostname, WEIRD, 'quote, backslash and line feed survive the round trip')
    t.ok(text.includes('hostname="rack \\"A\\"\\\\shelf\\n2"'), 'written escaped')
    const rtt = Object.fromEntries(samples(text, 'mpm_device_response_time_seconds').map((s) => [s.labels.device_id, s.value]))
    t.same(Object.keys(rtt).sort(), ['1', '3', '4', '6'], 'no response time for the device that does not answer')
    for (const v of Object.values(rtt)) t.ok(v > 0 && v < 0.5, `${v} s`)
  })

  t.test('counters, gauges, histogram, shard and process metrics', async (t) => {
    const one = (name: string, labels: Record<string, string> = {}) => {
      const s = samples(text, name).filter((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v))
      t.equal(s.length, 1, `${name} ${JSON.stringify(labels)} present once`)
      return s[0]?.value
    }
    const cycles = one('mpm_cycles_total')
    t.ok(cycles >= 2)
    t.equal(one('mpm_pings_total') % 5, 0, 'five devices per cycle')
    t.ok(one('mpm_pings_total') >= 10)
    t.ok(one('mpm_ping_failures_total', { reason: 'timeout' }) >= 2, 'the dead device times out')
    for (const reason of ['unreachable', 'unknown_host', 'not_permitted', 'program_missing', 'other']) t.equal(one('mpm_ping_failures_total', { reason }), 0, reason)
    t.equal(one('mpm_cycle_overruns_total'), 0)
    t.equal(one('mpm_csv_write_errors_total'), 0)
    t.equal(one('mpm_devices'), 5)
    t.equal(one('mpm_inventory_skipped_rows'), 1)
    t.equal(one('mpm_inventory_other_shard_rows'), 0)
    const age = one('mpm_inventory_age_seconds')
    t.ok(age >= 0 && age < 10, `inventory age ${age}`)
    const d = one('mpm_last_cycle_duration_seconds')
    t.ok(d > 0 && d < 1, `last cycle ${d} s`)
    t.equal(one('mpm_shard_info', { shard_index: '0', shard_count: '1' }), 1)
    const count = one('mpm_ping_response_time_seconds_count')
    t.equal(one('mpm_ping_response_time_seconds_bucket', { le: '+Inf' }), count)
    t.equal(count, one('mpm_pings_total') - one('mpm_ping_failures_total', { reason: 'timeout' }), 'every reply observed once')
    t.ok(one('mpm_ping_response_time_seconds_sum') > 0)
    const buckets = samples(text, 'mpm_ping_response_time_seconds_bucket').map((s) => s.value)
    t.same(buckets, [...buckets].sort((a, b) => a - b), 'cumulative buckets')
    t.ok(servedBefore >= 1, `the front door answered ${servedBefore} of the three`)
    t.equal(one('mpm_http_front_door_answers_total'), servedBefore, 'its count, as the door kept it')
    t.equal(one('mpm_http_front_door_failures_total'), 0)
    for (const name of ['mpm_process_cpu_seconds_total', 'mpm_process_resident_memory_bytes', 'mpm_nodejs_heap_size_used_bytes', 'mpm_nodejs_eventloop_lag_seconds']) t.ok(samples(text, name).length > 0, `process default ${name}`)
  })

  t.test('devices of each location by state', async (t) => {
    const loc = samples(text, 'mpm_location_devices')
    const locationId = b.app.inventory.devices()[0].location.id
    t.equal(loc.length, 5, 'one series per state of the one location')
    t.ok(loc.every((s) => s.labels.location_id === (locationId === null ? '' : String(locationId))))
    t.same(loc.map((s) => s.labels.state).sort(), ['down', 'flapping', 'unknown', 'unreachable', 'up'])
    t.equal(loc.reduce((n, s) => n + s.value, 0), 5, 'every monitored device counted once')
    const up = loc.find((s) => s.labels.state === 'up')?.value
    t.ok(up === 4, `the four answering devices are up (${String(up)})`)
  })

  t.test('a device that leaves the inventory leaves the metrics', async (t) => {
    await knex('inventaris').where({ id: 6 }).update({ kondisi: 'hilang' })
    await waitFor(async () => {
      const body = await (await fetch(url)).text()
      return !samples(body, 'mpm_device_up').some((s) => s.labels.device_id === '6') && samples(body, 'mpm_devices')[0]?.value === 4
    }, 15_000, 'device 6 to leave /metrics')
    const body = await (await fetch(url)).text()
    t.notOk(samples(body, 'mpm_device_response_time_seconds').some((s) => s.labels.device_id === '6'))
    t.ok(samples(body, 'mpm_device_up').some((s) => s.labels.device_id === '1'), 'the others stay')
  })
})
