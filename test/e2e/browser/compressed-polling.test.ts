import t from 'tap'
import type { CDPSession, Page } from 'playwright-core'
import { NETNS_SKIP, waitFor } from '../../helper.js'
import { newPage, openBrowser, startService } from './browser-helper.js'

// What the dashboard downloads, seen from inside Chromium (the DevTools protocol's Network events:
// the headers really sent and received, the bytes on the wire), against the real service pinging
// real loopback devices. 127.66.0.0/16 does not answer inside the test namespace.
const ROWS = [
  { id: 1, ip: '127.0.0.1', hostname: 'gateway' },
  { id: 2, ip: '127.0.0.2', hostname: 'core-switch' },
  { id: 3, ip: '127.0.0.3', hostname: 'printer' },
  { id: 4, ip: '127.0.0.4', hostname: 'camera' },
  { id: 5, ip: '127.66.0.5', hostname: 'dead-switch' }
]
const INTERVAL_S = 2

/** one request of the page to the API, as the network stack saw it */
interface Seen {
  id: string
  path: string
  /** the monitor's cycle count when the request left the page */
  cycle: number
  at: number
  sent: Record<string, string>
  status?: number
  received: Record<string, string>
  /** bytes on the wire, headers included (Network.loadingFinished) */
  wire?: number
  /** decoded body bytes (Network.dataReceived) */
  decoded: number
  done: boolean
}

const lower = (h: Record<string, unknown>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), String(v)]))

/** records every /api request of the page through CDP, keyed by the DevTools request id */
async function record (page: Page, cycle: () => number): Promise<{ seen: Seen[], cdp: CDPSession }> {
  const cdp = await page.context().newCDPSession(page)
  const byId = new Map<string, Seen>()
  const seen: Seen[] = []
  // the ExtraInfo events may come before the request's own event (the protocol does not order them):
  // every request id gets its record at the first event about it; only the /api ones are listed
  const get = (id: string) => {
    let s = byId.get(id)
    if (s === undefined) {
      s = { id, path: '', cycle: -1, at: 0, sent: {}, received: {}, decoded: 0, done: false }
      byId.set(id, s)
    }
    return s
  }
  cdp.on('Network.requestWillBeSent', (e) => {
    const u = new URL(e.request.url)
    const s = get(e.requestId)
    Object.assign(s, { path: u.pathname + u.search, cycle: cycle(), at: Date.now() })
    for (const [k, v] of Object.entries(lower(e.request.headers))) s.sent[k] ??= v
    if (u.pathname.startsWith('/api/')) seen.push(s)
  })
  // the headers the network stack really sent: Accept-Encoding and If-None-Match are added there
  cdp.on('Network.requestWillBeSentExtraInfo', (e) => { Object.assign(get(e.requestId).sent, lower(e.headers)) })
  // the raw answer: a 304 is a 304 here, whatever the page is then given from the cache
  cdp.on('Network.responseReceivedExtraInfo', (e) => {
    const s = get(e.requestId)
    s.status = e.statusCode
    Object.assign(s.received, lower(e.headers))
  })
  cdp.on('Network.responseReceived', (e) => {
    const s = get(e.requestId)
    s.status ??= e.response.status
    for (const [k, v] of Object.entries(lower(e.response.headers))) s.received[k] ??= v
  })
  cdp.on('Network.dataReceived', (e) => { get(e.requestId).decoded += e.dataLength })
  cdp.on('Network.loadingFinished', (e) => { const s = get(e.requestId); s.wire = e.encodedDataLength; s.done = true })
  cdp.on('Network.loadingFailed', (e) => { get(e.requestId).done = true })
  await cdp.send('Network.enable')
  return { seen, cdp }
}

const CACHED = /^\/api\/ping\/(status|groups|overview|availability)/
const kind = (s: Seen) => s.path.split('?')[0].replace(/^\/api\/(ping\/)?/, '')

t.test('the dashboard: compressed answers, 304s, one fetch per cycle', { skip: NETNS_SKIP }, async (t) => {
  const svc = await startService(t, ROWS, { PING_INTERVAL: String(INTERVAL_S), PING_TIMEOUT: '0.5' })
  const monitor = svc.app.monitor
  const context = await openBrowser(t)
  const { page, problems, errors } = await newPage(context)
  const { seen } = await record(page, () => monitor.cycleCount)
  await page.goto(svc.base)
  await page.waitForFunction(() => document.getElementById('sum-devices')?.textContent === '5')
  // the first round of answers (status, groups, overview, four availability windows) has arrived
  await waitFor(() => seen.filter((s) => s.path.startsWith('/api/ping/availability') && s.done).length === 4, 20_000, 'the first answers')

  t.test('every cached answer comes brotli-coded, as Chromium asks, and decodes', async (t) => {
    // the first request of each (cycles may have ended meanwhile, and the groups be asked again)
    const first = [...new Map(seen.filter((s) => CACHED.test(s.path)).reverse().map((s) => [s.path, s])).values()]
    t.ok(first.length >= 7, `status, groups, overview, 4 x availability (${first.length})`)
    for (const s of first) {
      t.match(s.sent['accept-encoding'], /\bbr\b/, `${s.path}: Chromium asks for br`)
      t.equal(s.status, 200, `${s.path}: 200`)
      t.equal(s.received['content-encoding'], 'br', `${s.path}: Content-Encoding br`)
      t.match(s.received.vary, /accept-encoding/i, `${s.path}: Vary: Accept-Encoding`)
      t.match(s.received.etag, /^"[\w-]+-br"$/, `${s.path}: the brotli answer's own ETag`)
    }
    // the page decoded what it was sent: the table shows the devices and their availability cells
    t.equal(await page.$$eval('#spacer .row:not([hidden])', (r) => r.length), 5)
    const status = first.find((s) => s.path === '/api/ping/status')
    t.ok(status?.wire !== undefined && status.wire < status.decoded, `status: ${status?.wire} bytes on the wire (headers included) for ${status?.decoded} decoded`)
    t.ok(first.filter((s) => s.path.startsWith('/api/ping/availability')).every((s) => /fields=availability_percent/.test(s.path)), 'availability: only the column shown is asked for')
  })

  t.test('while the monitor runs: the status and groups once per new cycle, nothing else that is cached', async (t) => {
    const from = seen.length
    const c0 = monitor.cycleCount
    // about six cycles
    await waitFor(() => monitor.cycleCount >= c0 + 6, 40_000, 'six more cycles')
    const c1 = monitor.cycleCount
    await new Promise((resolve) => setTimeout(resolve, 300))
    const window = seen.slice(from).filter((s) => s.cycle >= c0 && s.cycle < c1)
    const of = (k: string) => window.filter((s) => kind(s) === k)
    const cycles = c1 - c0
    const statusCycles = of('status').map((s) => s.cycle)
    t.same(statusCycles, [...new Set(statusCycles)], `no cycle fetched twice (status asked at cycles ${statusCycles.join(' ')})`)
    t.ok(statusCycles.length >= cycles - 1 && statusCycles.length <= cycles, `one status per new cycle: ${statusCycles.length} for ${cycles} cycles`)
    t.equal(of('groups').length, statusCycles.length, 'the location groups with each status')
    for (const s of of('status')) {
      t.equal(s.status, 200, `${s.path} at cycle ${s.cycle}: new data (the devices' last replies), 200`)
      t.equal(s.received['content-encoding'], 'br')
      t.not(s.received.etag, s.sent['if-none-match'], 'a new ETag')
    }
    // the groups' counts did not change from one cycle to the next: the same bytes, the same tag, a 304
    for (const s of of('groups')) {
      t.ok(s.sent['if-none-match'] !== undefined, `${s.path} at cycle ${s.cycle}: revalidated`)
      if (s.received.etag === s.sent['if-none-match']) t.equal(s.status, 304, 'the same tag: 304')
      else t.equal(s.status, 200, 'a new tag: 200')
    }
    t.ok(of('groups').some((s) => s.status === 304), 'unchanged groups come back as 304s while the cycles go on')
    // the overview and availability windows: asked once a point (120 s) and once a minute, not per cycle
    t.equal(of('overview').length, 0, 'no overview again within 12 s')
    t.equal(of('availability').length, 0, 'no availability again within a minute')
    // the uncached small ones: twice per cycle (so a new cycle shows within half an interval)
    const health = of('health').length
    t.ok(health >= cycles && health <= 3 * cycles + 2, `health: ${health} for ${cycles} cycles`)
    t.ok(of('service/status').length >= cycles, 'service status at least once per cycle')
  })

  t.test('with the cycle unchanged: revalidation with If-None-Match, and 304s', async (t) => {
    await monitor.stop()
    const stoppedAt = monitor.cycleCount
    // a reload: every cached answer is asked again, with the validator Chromium kept; a 304 where
    // the answer is still the one the browser has (the overview was last fetched some cycles ago)
    const reload = async () => {
      const from = seen.length
      await page.reload()
      await page.waitForFunction(() => document.getElementById('sum-devices')?.textContent === '5')
      await waitFor(() => seen.slice(from).filter((s) => s.path.startsWith('/api/ping/availability') && s.done).length === 4, 20_000, 'the answers after the reload')
      return seen.slice(from).filter((s) => CACHED.test(s.path))
    }
    const once = await reload()
    for (const s of once) {
      t.match(s.sent['if-none-match'], /^"[\w-]+-br"$/, `${s.path}: If-None-Match sent`)
      t.equal(s.status, s.received.etag === s.sent['if-none-match'] ? 304 : 200, `${s.path}: ${s.status}, 304 exactly when the tag is the one sent`)
    }
    // (the status may be a 200 here: a cycle in flight when the monitor stopped ended after the page's
    // last poll; the second reload below has every answer of the last cycle in the browser's cache)
    // once more: now the browser has every answer of this cycle
    const again = await reload()
    t.ok(again.length >= 7, `${again.length} cached answers asked again`)
    for (const s of again) {
      t.match(s.sent['if-none-match'], /^"[\w-]+-br"$/, `${s.path}: If-None-Match sent`)
      t.equal(s.status, 304, `${s.path}: 304`)
      t.equal(s.wire !== undefined && s.wire < 1024, true, `${s.path}: ${s.wire} bytes on the wire`)
    }
    t.equal(await page.$$eval('#spacer .row:not([hidden])', (r) => r.length), 5, 'the page shows the cached answers')

    // left open with no new cycle: the status is re-read every 30 s (an inventory reload would show),
    // as a 304; the overview and availability are not asked at all
    const from = seen.length
    await new Promise((resolve) => setTimeout(resolve, 33_000))
    t.equal(monitor.cycleCount, stoppedAt, 'no cycle meanwhile')
    const idle = seen.slice(from)
    const status = idle.filter((s) => kind(s) === 'status')
    t.equal(status.length, 1, 'one status re-read in 33 s')
    t.equal(status[0]?.status, 304, 'a 304')
    t.ok(status[0]?.sent['if-none-match'] !== undefined, 'with If-None-Match')
    t.same(idle.filter((s) => CACHED.test(s.path) && !['status', 'groups'].includes(kind(s))).map((s) => s.path), [], 'no overview or availability without a new cycle')
  })

  t.test('a browser that asks for gzip only gets gzip', async (t) => {
    const other = await openBrowser(t)
    const { page: gz, problems: gzProblems } = await newPage(other)
    const { seen: gzSeen, cdp } = await record(gz, () => monitor.cycleCount)
    // the DevTools protocol's extra headers replace the network stack's own Accept-Encoding
    await cdp.send('Network.setExtraHTTPHeaders', { headers: { 'Accept-Encoding': 'gzip' } })
    await gz.goto(svc.base)
    await gz.waitForFunction(() => document.querySelectorAll('#spacer .row:not([hidden])').length === 5)
    await waitFor(() => gzSeen.filter((s) => s.path.startsWith('/api/ping/availability') && s.done).length === 4, 20_000, 'the gzip answers')
    const cached = gzSeen.filter((s) => CACHED.test(s.path))
    t.ok(cached.length >= 7)
    for (const s of cached) {
      t.equal(s.sent['accept-encoding'], 'gzip', `${s.path}: asked for gzip only`)
      t.equal(s.status, 200)
      t.equal(s.received['content-encoding'], 'gzip', `${s.path}: Content-Encoding gzip`)
      t.match(s.received.etag, /-gz"$/, 'the gzip answer\'s ETag')
    }
    t.same(gzProblems, [])
  })

  t.same(problems, [], 'no script errors or failed requests')
  t.same(errors, [], 'no error answers')
})
