import t from 'tap'
import { cycleOfRows } from '../../src/monitor/cycle.js'
import { parseWebhookUrls } from '../../src/config/webhook-urls.js'
import { build } from '../helper.js'
import { makeDevice } from '../../src/inventory/filter-inventory.js'

t.test('webhook URLs: comma-separated http(s); a bad one is named by position, never echoed', async (t) => {
  t.same(parseWebhookUrls(''), [])
  t.same(parseWebhookUrls(' http://127.0.0.1:9/a , https://hooks.example.test/T0/B0/XYZ ,').map((u) => u.host), ['127.0.0.1:9', 'hooks.example.test'])
  t.throws(() => parseWebhookUrls('http://127.0.0.1/ok,not a url SECRET'), { message: 'Invalid setting ALERT_WEBHOOK_URLS: entry 2 is not a URL' })
  t.throws(() => parseWebhookUrls('ftp://127.0.0.1/SECRET'), { message: 'Invalid setting ALERT_WEBHOOK_URLS: entry 1 is not an http:// or https:// URL' })
  t.throws(() => parseWebhookUrls('http://user:SECRET@127.0.0.1/'), { message: /entry 1 has a user name or password/ })
})

t.test('the service refuses to start with a bad URL or a bad state setting, with one clear line', async (t) => {
  await t.rejects(build(t, { ALERT_WEBHOOK_URLS: 'http://127.0.0.1/x, SECRET-TOKEN' }), { message: 'Invalid setting ALERT_WEBHOOK_URLS: entry 2 is not a URL' })
  await t.rejects(build(t, { DOWN_AFTER_FAILURES: '0' }), { message: 'Invalid setting DOWN_AFTER_FAILURES="0": expected a whole number, >= 1, <= 1000' })
  await t.rejects(build(t, { ALERT_WEBHOOK_FORMAT: 'teams' }), { message: 'Invalid setting ALERT_WEBHOOK_FORMAT="teams": expected one of json, slack, discord' })
  await t.rejects(build(t, { FLAP_WINDOW: '1' }), { message: /^Invalid setting FLAP_WINDOW="1"/ })
})

t.test('defaults; health shows alerts off and the status route the new fields, before anything ran', async (t) => {
  const b = await build(t)
  t.match(b.app.config, { DOWN_AFTER_FAILURES: 3, UP_AFTER_SUCCESSES: 2, FLAP_CHANGES: 4, FLAP_WINDOW: 20, ALERT_WEBHOOK_URLS: '', ALERT_WEBHOOK_FORMAT: 'json', ALERT_BATCH_MIN: 5, ALERT_QUEUE_MAX: 1000, ALERT_TIMEOUT: 5, ALERT_RETRIES: 5, ALERT_RETRY_DELAY: 1 })
  const h = await b.app.inject('/api/health')
  t.match(h.json().alerts, { enabled: false, format: 'json', sent: 0, failed: 0, retries: 0, dropped: 0, queue_length: 0, last_error: null, receivers: [] })
  const ev = await b.app.inject('/api/ping/events')
  t.same(ev.json(), { success: true, hours: 24, device_id: null, data: [], count: 0 })
  for (const q of ['hours=0', 'hours=abc', 'device_id=-1', 'limit=0', 'limit=100001']) {
    const bad = await b.app.inject(`/api/ping/events?${q}`)
    t.equal(bad.statusCode, 400, q)
    t.match(bad.json(), { success: false, error: /^Invalid request/ })
  }
  // a cycle through the real pipeline (no pings needed): the status shows the state it produced
  const at = Date.now()
  const row = (id: number, ok: boolean) => ({ at, row: { timestamp: new Date(at).toISOString(), device_id: id, ip_address: `127.0.0.${id}`, hostname: `h${id}`, ping_success: ok, response_time_ms: ok ? 0.1 : null, error_message: ok ? '' : 'No response (timeout)' } })
  b.app.latestStatus.setDevices([1, 2].map((id) => makeDevice({ device_id: id, ip_address: `127.0.0.${id}`, hostname: `h${id}`, family: 4 })))
  const cycle = cycleOfRows([row(1, true), row(2, false)])
  b.app.service.pipeline.cycle(cycle, { number: 1, started_at: '', duration_ms: 1, devices: 2, up: 1, down: 1 })
  const s = (await b.app.inject('/api/ping/status')).json().data
  t.match(s.devices.online, [{ device_id: 1, state: 'up', consecutive_failures: 0, down_since: null }])
  t.match(s.devices.offline, [{ device_id: 2, state: 'unknown', consecutive_failures: 1, down_since: null }], 'one failure: no verdict yet')
})
