import t from 'tap'
import { NETNS_SKIP } from '../../helper.js'
import { newPage, openBrowser, screenshot, startService, visibleRows } from './browser-helper.js'

// 10,000 devices in the browser. Pinging 10,000 addresses every second on a shared 2-core test machine
// would test the machine, not the page: the real service runs with a few devices, and its status and
// overview answers are replaced, in the browser only, by answers of the same shape for 10,000.
const N = 10_000
const name = (i: number) => `host-${String(i).padStart(5, '0')}`
const ip = (i: number) => `10.${Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}`
const isDown = (i: number) => i % 25 === 0

function statusBody () {
  const online = []
  const offline = []
  const now = Date.now()
  for (let i = 1; i <= N; i++) {
    const base = { device_id: i, ip_address: ip(i), hostname: name(i), state: isDown(i) ? 'down' : 'up', consecutive_failures: isDown(i) ? 10 : 0 }
    if (isDown(i)) offline.push({ ...base, last_seen: new Date(now - i * 1000).toISOString(), error_message: 'No response (timeout)', down_since: new Date(now - i * 100).toISOString() })
    else online.push({ ...base, last_seen: new Date(now - 500).toISOString(), response_time_ms: (i % 97) / 10, down_since: null })
  }
  return { success: true, data: { total_devices: N, online_devices: online.length, offline_devices: offline.length, pending_devices: 0, devices: { online, offline } } }
}

function overviewBody () {
  const data = []
  for (let i = 1; i <= N; i++) {
    const spark = Array.from({ length: 30 }, (_v, j) => (isDown(i) ? null : Math.round((1 + Math.sin(i + j / 4)) * 100) / 100))
    data.push({ device_id: i, loss_percent: isDown(i) ? 100 : (i % 7 === 0 ? 3.33 : 0), spark })
  }
  return { success: true, minutes: 60, points: 30, data, count: N }
}

t.test('10,000 devices: the table stays small in the DOM and still sorts, filters and scrolls', { skip: NETNS_SKIP }, async (t) => {
  const svc = await startService(t, [{ id: 1, ip: '127.0.0.1', hostname: 'gateway' }])
  const context = await openBrowser(t)
  const { page, problems } = await newPage(context)
  const status = JSON.stringify(statusBody())
  const overview = JSON.stringify(overviewBody())
  await page.route('**/api/ping/status', (route) => route.fulfill({ contentType: 'application/json', body: status }))
  await page.route('**/api/ping/overview?*', (route) => route.fulfill({ contentType: 'application/json', body: overview }))
  await page.goto(svc.base)
  await page.waitForFunction(() => document.getElementById('shown-count')?.textContent === '10,000 devices')
  await page.waitForFunction(() => document.querySelector('#spacer .row[data-device-id="25"] .loss')?.textContent === '100 %')

  t.equal(await page.textContent('#sum-devices'), '10,000')
  t.equal(await page.textContent('#sum-offline'), '400')
  const inDom = await page.$$eval('#spacer .row', (rows) => rows.length)
  t.ok(inDom < 80, `only the rows in view exist: ${inDom}`)
  let rows = await visibleRows(page)
  t.same(rows.slice(0, 3).map((r) => r.hostname), ['host-00025', 'host-00050', 'host-00075'], 'offline first')
  await screenshot(page, 'dashboard-10k.png')

  await page.$eval('#viewport', (v) => { v.scrollTop = v.scrollHeight })
  await page.waitForFunction(() => document.querySelector('#spacer .row[data-device-id="9999"]') !== null)
  rows = await visibleRows(page)
  t.equal(rows.at(-1)?.hostname, 'host-09999', 'the last device is reachable by scrolling')
  t.equal(rows.at(-1)?.status, 'Online')
  t.ok(await page.$$eval('#spacer .row', (r) => r.length) < 80, 'still only the rows in view')
  await screenshot(page, 'dashboard-10k-bottom.png')

  const started = Date.now()
  await page.fill('#filter-text', 'host-0777')
  await page.waitForFunction(() => document.getElementById('shown-count')?.textContent === '10 of 10,000 devices')
  t.comment(`filtering 10,000 devices took ${Date.now() - started} ms, round trip included`)
  const matching = Array.from({ length: 10 }, (_v, k) => 7770 + k)
  t.same((await visibleRows(page)).map((r) => r.hostname), [...matching.filter(isDown), ...matching.filter((i) => !isDown(i))].map(name), 'offline first, then by name')
  await page.fill('#filter-text', '')

  await page.click('[data-sort="loss"]')
  await page.click('.toolbar [data-status="online"]')
  rows = await visibleRows(page)
  t.same(rows.slice(0, 2).map((r) => [r.hostname, r.loss]), [['host-00007', '3.3 %'], ['host-00014', '3.3 %']], 'highest loss first among online devices')
  t.same(problems, [])
})
