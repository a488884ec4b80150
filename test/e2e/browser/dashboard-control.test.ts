import t from 'tap'
import { createMysqlInventory, NETNS_SKIP } from '../../helper.js'
import { dbBridge } from '../../bridge.js'
import { buildAndListen, newPage, openBrowser, screenshot } from './browser-helper.js'

// The API key, the banners for a database outage, stale data and a service that went away, with a
// real MariaDB inventory behind a bridge the test can cut.
const ROWS = [
  { id: 1, ip: '127.0.0.1', hostname: 'gateway', kondisi: 'baik' },
  { id: 2, ip: '127.66.0.1', hostname: 'dead-switch', kondisi: 'baik' },
  { id: 3, ip: '::1', hostname: 'ipv6-host', kondisi: 'baik' }
]
const KEY = 's3cret-wall-key'

const text = async (page: any, sel: string) => ((await page.textContent(sel)) ?? '').trim()

t.test('control with an API key, and the banners', { skip: NETNS_SKIP }, async (t) => {
  const { database } = await createMysqlInventory(t, ROWS)
  const bridge = await dbBridge(t)
  const svc = await buildAndListen(t, {
    DB_CONNECTION: 'mysql', DB_HOST: '127.0.0.1', DB_PORT: String(bridge.port), DB_DATABASE: database, DB_USERNAME: 'root', DB_PASSWORD: '', API_KEY: KEY
  })
  const context = await openBrowser(t)
  const { page, problems, errors } = await newPage(context)
  await page.goto(svc.base)
  await page.waitForFunction(() => document.getElementById('sum-devices')?.textContent === '3')
  t.equal(await text(page, '#sum-offline'), '1')

  t.test('the first control action asks for the key; a wrong key shows the API error', async (t) => {
    await page.click('#toggle-monitor')
    await page.waitForSelector('#key-dialog[open]')
    t.match(await text(page, '#key-why'), /needs its API key/)
    await page.fill('#key-input', 'wrong-key')
    await page.click('#key-save')
    await page.waitForFunction(() => /Could not stop/.test(document.getElementById('toast')?.textContent ?? ''))
    t.equal(await text(page, '#toast'), 'Could not stop the monitor: A valid "Authorization: Bearer <API_KEY>" header is required')
    t.equal(svc.app.monitor.status().running, true, 'still running')
    await screenshot(page, 'dashboard-wrong-key.png')
  })

  t.test('a refused key is asked for again; the right one is kept in the browser', async (t) => {
    await page.click('#toggle-monitor')
    await page.waitForSelector('#key-dialog[open]')
    t.match(await text(page, '#key-why'), /stored API key was refused/)
    t.equal(await page.inputValue('#key-input'), 'wrong-key', 'prefilled with the stored key')
    await page.fill('#key-input', KEY)
    await page.click('#key-save')
    await page.waitForSelector('#banners .banner[data-key="stopped"]')
    t.equal(svc.app.monitor.status().running, false)
    t.equal(await page.evaluate(() => localStorage.getItem('mpm.apiKey')), KEY)

    await page.reload()
    await page.waitForFunction(() => document.getElementById('toggle-monitor')?.textContent === 'Start monitor')
    await page.click('#toggle-monitor')
    await page.waitForSelector('#banners .banner[data-key="stopped"]', { state: 'detached' })
    t.equal(svc.app.monitor.status().running, true, 'started with the remembered key, no question asked')
    t.notOk(await page.isVisible('#key-dialog'))

    await page.fill('#test-ip', '::1')
    await page.click('#test-ping button')
    await page.waitForFunction(() => /^::1 answered in/.test(document.getElementById('toast')?.textContent ?? ''))
    t.pass('test ping with the key')
  })

  t.test('forgetting the key', async (t) => {
    await page.click('#key-button')
    await page.waitForSelector('#key-dialog[open]')
    await page.click('#key-forget')
    t.equal(await page.evaluate(() => localStorage.getItem('mpm.apiKey')), null)
    t.notOk(await page.isVisible('#key-dialog'))
  })

  t.test('the database becomes unreachable: a banner, until it is back', async (t) => {
    bridge.down()
    await page.waitForSelector('#banners .banner[data-key="database"]', { timeout: 30_000 })
    t.match(await text(page, '#banners .banner[data-key="database"]'), /^Inventory database unreachable since .*; monitoring the last inventory loaded$/)
    t.equal(await page.getAttribute('#banners .banner[data-key="database"]', 'data-level'), 'error')
    t.equal(await text(page, '#sum-devices'), '3', 'the figures stay')
    await screenshot(page, 'dashboard-database-down.png')
    await bridge.up()
    await page.waitForSelector('#banners .banner[data-key="database"]', { state: 'detached', timeout: 30_000 })
    t.pass('the banner clears by itself')
  })

  t.test('stale data: the monitor runs but no cycle came for too long', async (t) => {
    // a hung scheduler cannot be made on purpose; the answer of the real service is aged instead
    await page.route('**/api/ping/service/status', async (route) => {
      const res = await route.fetch()
      const body = await res.json()
      if (body.data.last_cycle !== null) body.data.last_cycle.started_at = new Date(Date.now() - 120_000).toISOString()
      await route.fulfill({ response: res, json: body })
    })
    await page.waitForSelector('#banners .banner[data-key="stale"]')
    t.match(await text(page, '#banners .banner[data-key="stale"]'), /^Data is stale: the last cycle started 2 min ago, but the monitor should run every 1 s\.$/)
    await page.unroute('**/api/ping/service/status')
    await page.waitForSelector('#banners .banner[data-key="stale"]', { state: 'detached' })
  })

  t.test('nothing went wrong in the page', async (t) => {
    t.same(problems.filter((p) => !/ERR_ABORTED/.test(p)), [], 'no script errors; only requests cut short by the reload')
    t.same([...new Set(errors)], ['401 POST /api/ping/service/stop'], 'the only error answers are the refused keys')
  })

  t.test('the service goes away: a banner, the last figures stay', async (t) => {
    // while it closes it may still answer 503, then nothing: both end in the same banner
    await svc.app.close()
    await page.waitForSelector('#banners .banner[data-key="unreachable"]', { timeout: 30_000 })
    t.match(await text(page, '#banners .banner[data-key="unreachable"]'), /^Cannot reach the service since \d\d:\d\d:\d\d \(\d+ s\): the figures below are the last ones received\.$/)
    t.equal(await text(page, '#sum-devices'), '3')
    await screenshot(page, 'dashboard-unreachable.png')
  })
})
