import t from 'tap'
import { NETNS_SKIP } from '../../helper.js'
import { newPage, openBrowser, screenshot, startService, visibleRows } from './browser-helper.js'

// Real service, real pings, real Chromium. 127.66.0.0/16 does not answer inside the test namespace.
const ROWS = [
  { id: 1, ip: '127.0.0.1', hostname: 'gateway' },
  { id: 2, ip: '127.0.0.2', hostname: 'core-switch' },
  { id: 3, ip: '::1', hostname: 'ipv6-host' },
  { id: 4, ip: '127.66.0.1', hostname: 'dead-switch', id_lokasi: 3 },
  { id: 5, ip: '127.0.0.5', hostname: 'printer' },
  { id: 6, ip: '127.66.0.2', hostname: 'access-point-lobby', id_lokasi: 3 },
  { id: 7, ip: '127.0.0.7', hostname: 'lost-laptop', kondisi: 'hilang' }
]

const text = async (page: any, sel: string) => ((await page.textContent(sel)) ?? '').trim()

t.test('the dashboard against the real service', { skip: NETNS_SKIP }, async (t) => {
  // two hours of earlier results, with core-switch down from 50 to 35 minutes ago
  const svc = await startService(t, ROWS, { SITE_DOWN_MIN: '2' }, { hours: 2, stepS: 30, down: { 2: [[50, 35]] } })
  const context = await openBrowser(t)
  const { page, problems, errors } = await newPage(context)
  const requests: string[] = []
  page.on('request', (r) => requests.push(r.url()))
  await page.goto(svc.base)

  t.test('summary shows the right counts', async (t) => {
    await page.waitForFunction(() => document.getElementById('sum-devices')?.textContent === '6')
    t.equal(await text(page, '#sum-devices'), '6')
    t.equal(await text(page, '#sum-online'), '4')
    t.equal(await text(page, '#sum-offline'), '2')
    t.equal(await text(page, '#sum-monitor'), 'Running')
    t.equal(await text(page, '#monitor-state'), 'Running')
    t.match(await text(page, '#sum-cycle-duration'), /^\d+(\.\d+)? (ms|s)$/)
    t.match(await text(page, '#sum-cycle-ago'), /^#\d+ · \d+ s ago$/)
    // the two dead devices are all of location 3 (SITE_DOWN_MIN=2 here): that site is down from the start
    t.same(await page.$$eval('#banners .banner', (b) => b.map((e) => e.getAttribute('data-key'))), ['site-3'], 'one banner: the site that is down')
    t.equal(await page.title(), '(2 down) Multi-ping monitor')
  })

  t.test('device table: offline devices first, then by name', async (t) => {
    await page.waitForFunction(() => document.querySelectorAll('#spacer .row:not([hidden])').length === 6)
    const rows = await visibleRows(page)
    t.same(rows.map((r) => [r.status, r.hostname, r.ip]), [
      ['Offline', 'access-point-lobby', '127.66.0.2'],
      ['Offline', 'dead-switch', '127.66.0.1'],
      ['Online', 'core-switch', '127.0.0.2'],
      ['Online', 'gateway', '127.0.0.1'],
      ['Online', 'ipv6-host', '::1'],
      ['Online', 'printer', '127.0.0.5']
    ])
    t.equal(rows[0].response, 'No response (timeout)', 'an offline device shows why')
    t.equal(rows[0].seen, 'never', 'never seen')
    t.match(rows[0].since, /^2 h( [12] min)?$/, 'and for how long it is down (since the start of the seeded history)')
    t.match(rows[3].response, /^\d+(\.\d+)? ms$/, 'an online device shows its response time')
    t.match(rows[3].seen, /^\d+ s ago$/)
    t.equal(rows[3].since, '')
    t.equal(rows[0].loss, '100 %', 'loss over the last hour')
    t.equal(rows[3].loss, '0 %')
    t.equal(await page.$$eval('#spacer .row[data-status="online"] .spark canvas', (c) => c.length), 4, 'a sparkline per online device')
    t.equal(await text(page, '#spacer .row[data-device-id="4"] .spark'), 'no replies', 'a device down all hour says so')
    t.equal(await text(page, '#shown-count'), '6 devices')
  })

  t.test('sorting and filtering', async (t) => {
    await page.click('[data-sort="hostname"]')
    t.same((await visibleRows(page)).map((r) => r.hostname), ['access-point-lobby', 'core-switch', 'dead-switch', 'gateway', 'ipv6-host', 'printer'])
    t.equal(await page.getAttribute('[data-sort="hostname"]', 'aria-sort'), 'ascending')
    await page.click('[data-sort="hostname"]')
    t.same((await visibleRows(page)).map((r) => r.hostname), ['printer', 'ipv6-host', 'gateway', 'dead-switch', 'core-switch', 'access-point-lobby'])
    t.equal(await page.getAttribute('[data-sort="hostname"]', 'aria-sort'), 'descending')

    await page.fill('#filter-text', '127.0.0')
    t.same((await visibleRows(page)).map((r) => r.hostname).sort(), ['core-switch', 'gateway', 'printer'])
    t.equal(await text(page, '#shown-count'), '3 of 6 devices')
    await page.fill('#filter-text', 'nothing-like-this')
    t.equal((await visibleRows(page)).length, 0)
    t.ok(await page.isVisible('#empty'), 'says nothing matches')
    await page.fill('#filter-text', '')

    await page.click('.toolbar [data-status="offline"]')
    t.same((await visibleRows(page)).map((r) => r.hostname).sort(), ['access-point-lobby', 'dead-switch'])
    await page.click('.toolbar [data-status="online"]')
    t.same((await visibleRows(page)).map((r) => r.status), ['Online', 'Online', 'Online', 'Online'])
    await page.click('.toolbar [data-status="all"]')
    await page.click('[data-sort="status"]')
    t.equal(await page.getAttribute('[data-sort="status"]', 'aria-sort'), 'ascending')
    t.same((await visibleRows(page)).map((r) => r.status), ['Offline', 'Offline', 'Online', 'Online', 'Online', 'Online'])
  })

  t.test('the page updates itself every cycle without reloading or rebuilding rows', async (t) => {
    await page.evaluate(() => { (window as any).__sameDocument = true })
    const firstRow = await page.$('#spacer .row[data-device-id="4"]')
    const cycleText = await text(page, '#sum-cycle-ago')
    const cycle = Number(/^#(\d+)/.exec(cycleText)?.[1])
    await page.waitForFunction((n) => Number(/^#(\d+)/.exec(document.getElementById('sum-cycle-ago')?.textContent ?? '')?.[1]) >= n + 2, cycle, { timeout: 20_000 })
    t.equal(await page.evaluate(() => (window as any).__sameDocument), true, 'no reload')
    t.equal(await firstRow?.evaluate((el) => el.isConnected && el.getAttribute('data-device-id')), '4', 'the same row element, updated in place')
    await screenshot(page, 'dashboard-overview.png')
  })

  t.test('clicking a device opens its chart', async (t) => {
    await page.click('#spacer .row[data-device-id="4"]')
    await page.waitForSelector('#detail[open]')
    t.equal(await text(page, '#detail-title'), 'dead-switch')
    t.match(await text(page, '#detail-sub'), '127.66.0.1')
    await page.waitForSelector('#detail-chart canvas')
    await page.waitForFunction(() => document.querySelectorAll('#detail-stats .value').length > 0)
    const stats = await page.$$eval('#detail-stats div', (els) => Object.fromEntries(els.map((e) => [e.querySelector('.label')?.textContent, e.querySelector('.value')?.textContent])))
    t.equal(stats.Success, '0 %', 'a dead device never answered')
    t.match(await text(page, '#detail-note'), /fully down/, 'the outage is called out')
    const box = await page.$eval('#detail-chart canvas', (c) => ({ w: (c as HTMLCanvasElement).width, h: (c as HTMLCanvasElement).height }))
    t.ok(box.w > 300 && box.h > 200, 'the chart has a real size')
    await page.click('#detail [data-hours="6"]')
    t.equal(await page.getAttribute('#detail [data-hours="6"]', 'aria-pressed'), 'true')
    await page.waitForFunction(() => !document.getElementById('detail')?.hasAttribute('aria-busy'))
    await screenshot(page, 'dashboard-detail-down.png')
    await page.click('#detail-close')
    t.notOk(await page.isVisible('#detail'))

    await page.click('#spacer .row[data-device-id="1"]')
    await page.waitForSelector('#detail[open]')
    t.equal(await text(page, '#detail-title'), 'gateway')
    await page.waitForFunction(() => /^100 %$/.test([...document.querySelectorAll('#detail-stats div')].find((d) => d.querySelector('.label')?.textContent === 'Success')?.querySelector('.value')?.textContent ?? ''))
    await page.waitForFunction(() => !document.getElementById('detail')?.hasAttribute('aria-busy'))
    await screenshot(page, 'dashboard-detail-up.png')
    await page.keyboard.press('Escape')
    t.notOk(await page.isVisible('#detail'))
  })

  t.test('an earlier outage: loss in the table, a gap in the chart', async (t) => {
    const row = (await visibleRows(page)).find((r) => r.hostname === 'core-switch')
    const loss = Number(/^([\d.]+) %$/.exec(row?.loss ?? '')?.[1])
    t.ok(loss >= 15 && loss <= 35, `15 of the last 60 minutes down: ${row?.loss}`)
    const gaps = await page.$eval('#spacer .row[data-device-id="2"] .spark', (el) => el.querySelectorAll('canvas').length)
    t.equal(gaps, 1, 'sparkline drawn')
    await page.click('#spacer .row[data-device-id="2"]')
    await page.waitForSelector('#detail[open]')
    await page.click('#detail [data-hours="1"]')
    await page.waitForFunction(() => /fully down/.test(document.getElementById('detail-note')?.textContent ?? '') && !document.getElementById('detail')?.hasAttribute('aria-busy'))
    const down = Number(/\((\d+) of \d+ intervals fully down\)/.exec(await text(page, '#detail-note'))?.[1])
    t.ok(down >= 13 && down <= 16, `about 15 one-minute intervals without a reply: ${down}`)
    await screenshot(page, 'dashboard-detail-outage.png')
    await page.click('#detail-close')
    // rows are reused while sorting: a row that showed a sparkline and now shows a dead device shows only the words
    const sparks = await page.$$eval('#spacer .row[data-status="offline"] .spark', (cells) => cells.map((c) => ({
      text: c.textContent,
      charts: [...c.querySelectorAll('.uplot')].filter((u) => getComputedStyle(u).display !== 'none').length
    })))
    t.same(sparks, [{ text: 'no replies', charts: 0 }, { text: 'no replies', charts: 0 }])
  })

  t.test('test ping from the page', async (t) => {
    await page.fill('#test-ip', '127.0.0.42')
    await page.click('#test-ping button')
    await page.waitForFunction(() => /answered in/.test(document.getElementById('toast')?.textContent ?? ''))
    t.match(await text(page, '#toast'), /^127\.0\.0\.42 answered in \d/)
    await page.fill('#test-ip', '127.66.9.9')
    await page.click('#test-ping button')
    await page.waitForFunction(() => /127\.66\.9\.9/.test(document.getElementById('toast')?.textContent ?? ''))
    t.equal(await text(page, '#toast'), '127.66.9.9: No response (timeout)')
    await page.fill('#test-ip', 'not-an-ip')
    await page.click('#test-ping button')
    await page.waitForFunction(() => /Not an IPv4/.test(document.getElementById('toast')?.textContent ?? ''))
    t.match(await text(page, '#toast'), /^Test ping failed: Not an IPv4 or IPv6 address/, 'the error text of the API is shown')
  })

  t.test('stopping the monitor shows the banner; starting clears it', async (t) => {
    await page.click('#toggle-monitor')
    await page.waitForSelector('#banners .banner[data-key="stopped"]')
    t.match(await text(page, '#banners'), /Monitoring is stopped/)
    t.equal(svc.app.monitor.status().running, false, 'really stopped')
    t.equal(await text(page, '#monitor-state'), 'Stopped')
    t.equal(await text(page, '#toggle-monitor'), 'Start monitor')
    await screenshot(page, 'dashboard-stopped.png')
    await page.click('#toggle-monitor')
    await page.waitForSelector('#banners .banner[data-key="stopped"]', { state: 'detached' })
    t.equal(svc.app.monitor.status().running, true, 'running again')
    t.equal(await text(page, '#monitor-state'), 'Running')
  })

  t.test('location tiles, worst first; a click filters the table; a banner for a site that is down', async (t) => {
    // the two dead devices are location 3 (id_lokasi; 'Ruang Server' in the seeded lokasi_barangs;
    // SITE_DOWN_MIN=2 for this service), the others location 1 ('Gedung A')
    t.same(svc.app.inventory.devices().map((d) => d.location.id), [1, 1, 1, 3, 1, 3], 'the locations come from the inventory')
    await page.waitForFunction(() => document.querySelectorAll('#location-tiles .tile').length === 2, undefined, { timeout: 15_000 })
    const tiles = await page.$$eval('#location-tiles .tile', (els) => els.map((e) => ({ state: e.getAttribute('data-state'), name: e.querySelector('.name')?.textContent, counts: e.querySelector('.counts')?.textContent })))
    t.match(tiles, [
      { state: 'down', name: 'Ruang Server', counts: '0/2 up · 2 down' },
      { state: 'up', name: 'Gedung A', counts: '4/4 up' }
    ], 'the down location first, with its counts')
    t.equal(tiles.length, 2)
    await page.waitForSelector('#banners .banner[data-key="site-3"]')
    t.match(await text(page, '#banners .banner[data-key="site-3"]'), /^Ruang Server down: 2 of 2 devices$/)
    await screenshot(page, 'dashboard-locations.png')

    await page.click('#location-tiles .tile[data-key="1"]')
    await page.waitForFunction(() => document.querySelectorAll('#spacer .row:not([hidden])').length === 4)
    t.same((await visibleRows(page)).map((r) => r.id).sort(), [1, 2, 3, 5], 'only the devices of Gedung A')
    t.equal(await text(page, '#shown-count'), '4 of 6 devices')
    t.equal(await page.getAttribute('#location-tiles .tile[data-key="1"]', 'aria-pressed'), 'true')
    await page.click('#location-tiles .tile[data-key="1"]')
    await page.waitForFunction(() => document.querySelectorAll('#spacer .row:not([hidden])').length === 6)
    t.equal(await text(page, '#shown-count'), '6 devices', 'a second click shows every location again')
    t.equal(await page.$$eval('#spacer .badge[data-kind]', (b) => b.length), 0, 'no maintenance badge: nothing is in maintenance')
  })

  t.test('served from this process only, nothing went wrong in the page', async (t) => {
    t.same(requests.filter((u) => !u.startsWith(svc.base)), [], 'no request left the service (no CDN)')
    t.ok(requests.some((u) => u.endsWith('/vendor/uplot/uPlot.esm.js')), 'uPlot from the service')
    t.same(problems, [], 'no script errors, no failed requests')
    t.same(errors, ['400 POST /api/ping/test/not-an-ip'], 'the only error answer is the one asked for')
  })
})
