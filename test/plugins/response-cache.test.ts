import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { request } from 'node:http'
import t from 'tap'
import { build, createMysqlInventory, waitFor, NETNS_SKIP, MYSQL_SOCKET, type BuiltApp } from '../helper.js'

// Real MariaDB inventory, real pings (loopback; 127.66.0.0/16 never answers in the test namespace), real HTTP.
const ROWS = [
  { id: 1, ip: '127.0.0.1', hostname: 'up-one', kondisi: 'baik' },
  { id: 2, ip: '127.0.0.2', hostname: 'up-two', kondisi: 'baik' },
  { id: 3, ip: '127.66.0.3', hostname: 'dead', kondisi: 'baik' }
]

interface Got { status: number, headers: Record<string, string | string[] | undefined>, body: Buffer }

/** raw bytes, as sent (fetch would decode them) */
function get (b: BuiltApp, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Got> {
  const { port } = b.app.server.address() as { port: number }
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end()
  })
}

const ROUTES = [
  '/api/ping/status',
  '/api/ping/latest?limit=10',
  '/api/ping/overview?minutes=5&points=10',
  '/api/ping/device/1?hours=1',
  '/api/ping/devices/1/timeline?hours=1&bucket=60',
  '/api/ping/statistics?hours=1',
  '/api/ping/events?hours=1',
  '/api/ping/groups?by=location',
  // the routes issues 13 and 14 added
  '/api/ping/availability?window=24h&group_by=device',
  '/api/ping/availability?window=24h&group_by=location&format=csv',
  '/api/ping/outages?hours=1',
  '/api/ping/reports',
  '/api/maintenance'
]

t.test('cached answers: codings, ETags, 304s', { skip: NETNS_SKIP }, async (t) => {
  const { database } = await createMysqlInventory(t, ROWS)
  const b = await build(t, { DB_CONNECTION: 'mysql', DB_SOCKET: MYSQL_SOCKET, DB_DATABASE: database, DB_USERNAME: 'root', DB_PASSWORD: '', PING_INTERVAL: '1', PING_TIMEOUT: '0.5' })
  await b.app.service.start()
  await b.app.listen({ host: '127.0.0.1', port: 0 })
  await waitFor(() => b.app.monitor.status().cycles >= 2 && !b.app.historyLoading(), 15_000, 'two cycles')
  // no cycle may end between the requests compared below
  await b.app.monitor.stop()
  const cycles = b.app.monitor.cycleCount

  for (const path of ROUTES) {
    t.test(path, async (t) => {
      const plain = await get(b, path)
      t.equal(plain.status, 200)
      t.equal(plain.headers['content-encoding'], undefined, 'no Accept-Encoding: identity')
      t.match(plain.headers.vary, /Accept-Encoding/)
      const csv = path.includes('format=csv')
      t.match(plain.headers['content-type'], csv ? /^text\/csv/ : /^application\/json/)
      const tag = plain.headers.etag as string
      t.match(tag, /^"[A-Za-z0-9_-]+"$/, 'a strong ETag')
      if (csv) t.match(plain.body.toString(), /^location_id,devices,/)
      else t.equal(JSON.parse(plain.body.toString()).success, true)

      const gz = await get(b, path, { 'accept-encoding': 'gzip' })
      t.equal(gz.headers['content-encoding'], 'gzip')
      t.ok(gunzipSync(gz.body).equals(plain.body), 'gzip decodes to exactly the identity bytes')
      t.equal(gz.headers.etag, tag.replace(/"$/, '-gz"'), 'its own strong tag')
      const br = await get(b, path, { 'accept-encoding': 'gzip, deflate, br' })
      t.equal(br.headers['content-encoding'], 'br', 'br before gzip at equal q')
      t.ok(brotliDecompressSync(br.body).equals(plain.body), 'brotli decodes to exactly the identity bytes')
      t.equal(br.headers.etag, tag.replace(/"$/, '-br"'))
      t.match(br.headers.vary, /Accept-Encoding/)
      const again = await get(b, path, { 'accept-encoding': 'br' })
      t.ok(again.body.equals(br.body), 'the same coded bytes from the cache')
      t.equal(again.headers['content-type'], plain.headers['content-type'], 'a hit has the content type of the miss')
      t.equal(again.headers['content-disposition'], plain.headers['content-disposition'], 'and its Content-Disposition (the CSV attachment)')
      const q = await get(b, path, { 'accept-encoding': 'br;q=0.2, gzip;q=0.9, zstd' })
      t.equal(q.headers['content-encoding'], 'gzip', 'q-values weigh; an unknown coding is ignored')
      const none = await get(b, path, { 'accept-encoding': 'br;q=0, gzip;q=0' })
      t.equal(none.headers['content-encoding'], undefined, 'q=0 excludes')
      t.ok(none.body.equals(plain.body))
      // RFC 9110 §12.5.3 through real HTTP: the header as a client writes it, the answer as sent
      const star = await get(b, path, { 'accept-encoding': 'br;q=0, *;q=0.5' })
      t.equal(star.headers['content-encoding'], 'gzip', '* stands for gzip, br excluded by name')
      t.ok(gunzipSync(star.body).equals(plain.body))
      t.equal((await get(b, path, { 'accept-encoding': 'GZIP;Q=1' })).headers['content-encoding'], 'gzip', 'names and q in any case')
      const noIdentity = await get(b, path, { 'accept-encoding': 'identity;q=0' })
      t.equal(noIdentity.status, 200, 'nothing acceptable: the identity answer all the same, not a 406')
      t.equal(noIdentity.headers['content-encoding'], undefined)
      t.equal(noIdentity.headers.etag, tag, 'with the identity tag')

      const hit = await get(b, path, { 'if-none-match': tag })
      t.equal(hit.status, 304, 'the matching tag: 304')
      t.equal(hit.body.length, 0, 'with no body')
      t.equal(hit.headers.etag, tag, 'and the tag')
      t.match(hit.headers.vary, /Accept-Encoding/)
      t.equal((await get(b, path, { 'if-none-match': `"x", W/${tag}` })).status, 304, 'weak comparison, in a list')
      t.equal((await get(b, path, { 'accept-encoding': 'br', 'if-none-match': br.headers.etag as string })).status, 304, 'the brotli tag for brotli')
      const other = await get(b, path, { 'accept-encoding': 'gzip', 'if-none-match': br.headers.etag as string })
      t.equal(other.status, 200, 'the brotli tag does not match the gzip answer')
      t.ok(gunzipSync(other.body).equals(plain.body))
      t.equal((await get(b, path, { 'if-none-match': '"not-it"' })).status, 200, 'another tag: 200')

      const head = await get(b, path, { 'accept-encoding': 'gzip' }, 'HEAD')
      t.equal(head.status, 200, 'HEAD')
      t.equal(head.body.length, 0)
      t.equal(head.headers.etag, gz.headers.etag)
      t.equal(head.headers['content-length'], String(gz.body.length), 'HEAD tells the length of the coded answer')
    })
  }

  t.test('the front door answers a hit with the bytes and headers Fastify would send', async (t) => {
    const door = b.app.frontDoor
    const handler = door.handler
    t.not(handler, null, 'open (no CORS)')
    // headers node:http adds to every answer, whoever writes it
    const own = (h: Got['headers']) => Object.fromEntries(Object.entries(h).filter(([k]) => !['date', 'connection', 'keep-alive'].includes(k)))
    const viaFastify = async (path: string, headers: Record<string, string>, method: string): Promise<Got> => {
      door.handler = null
      try { return await get(b, path, headers, method) } finally { door.handler = handler }
    }
    for (const path of ROUTES) {
      for (const coding of ['', 'gzip', 'br, gzip']) {
        const asked: Record<string, string> = coding === '' ? {} : { 'accept-encoding': coding }
        const made = await get(b, path, asked)
        for (const [what, headers] of [['200', asked], ['304', { ...asked, 'if-none-match': made.headers.etag as string }]] as const) {
          for (const method of ['GET', 'HEAD']) {
            const served = door.served
            const front = await get(b, path, headers, method)
            t.equal(door.served, served + 1, `${method} ${path} ${coding} ${what}: answered at the front door`)
            const back = await viaFastify(path, headers, method)
            t.equal(door.served, served + 1, 'and by Fastify with the door shut')
            t.equal(front.status, back.status)
            if (what === '304' && method === 'HEAD') {
              // Fastify's HEAD route says `Content-Length: 0` of a 304 with no payload (its head-route.js);
              // RFC 9110 §8.6 allows only the length the 200 would have: the front door sends none
              t.equal(front.headers['content-length'], undefined, 'a 304 to HEAD: no Content-Length')
              t.equal(back.headers['content-length'], '0')
              Reflect.deleteProperty(back.headers, 'content-length')
            }
            t.same(own(front.headers), own(back.headers), 'the same headers')
            t.ok(front.body.equals(back.body), 'the same bytes')
          }
        }
      }
    }
    t.equal(door.failures, 0)
    t.equal(b.app.monitor.cycleCount, cycles, 'no cycle ran during the checks above')
  })

  t.test('a new cycle changes the tag (a new answer), and the old tag gets the new answer', async (t) => {
    t.equal(b.app.monitor.cycleCount, cycles, 'no cycle ran during the checks above')
    const before = await get(b, '/api/ping/status', { 'accept-encoding': 'br' })
    b.app.monitor.start()
    await waitFor(() => b.app.monitor.cycleCount > cycles, 10_000, 'one more cycle')
    await b.app.monitor.stop()
    const after = await get(b, '/api/ping/status', { 'accept-encoding': 'br', 'if-none-match': before.headers.etag as string })
    t.equal(after.status, 200, 'the old tag no longer matches')
    t.not(after.headers.etag, before.headers.etag)
    t.not(brotliDecompressSync(after.body).toString(), brotliDecompressSync(before.body).toString(), 'the answer changed with the cycle')
    t.equal((await get(b, '/api/ping/status', { 'accept-encoding': 'br', 'if-none-match': after.headers.etag as string })).status, 304)
  })

  t.test('after a new cycle every route answers anew: the tag changes exactly when the bytes do', async (t) => {
    const before = new Map<string, Got>()
    for (const path of ROUTES) before.set(path, await get(b, path, { 'accept-encoding': 'gzip' }))
    const at = b.app.monitor.cycleCount
    b.app.monitor.start()
    await waitFor(() => b.app.monitor.cycleCount > at, 10_000, 'one more cycle')
    await b.app.monitor.stop()
    const changed: string[] = []
    for (const path of ROUTES) {
      const old = before.get(path) as Got
      const now = await get(b, path, { 'accept-encoding': 'gzip', 'if-none-match': old.headers.etag as string })
      if (now.status === 304) {
        // a 304 is right only if the answer made for the new cycle is byte for byte the old one
        const fresh = await get(b, path, { 'accept-encoding': 'gzip' })
        t.equal(fresh.headers.etag, old.headers.etag, `${path}: 304 with the tag of the new answer`)
        t.ok(gunzipSync(fresh.body).equals(gunzipSync(old.body)), `${path}: 304 only when the bytes did not change`)
      } else {
        t.equal(now.status, 200, path)
        t.not(now.headers.etag, old.headers.etag, `${path}: a new tag`)
        t.notOk(gunzipSync(now.body).equals(gunzipSync(old.body)), `${path}: for new bytes`)
        changed.push(path)
      }
    }
    for (const p of ['/api/ping/status', '/api/ping/latest?limit=10', '/api/ping/device/1?hours=1']) t.ok(changed.includes(p), `${p} changed with the cycle`)
  })

  t.test('a write through the API (a maintenance window) changes the answers at once, with no cycle', async (t) => {
    const cycles = b.app.monitor.cycleCount
    const list = await get(b, '/api/maintenance', { 'accept-encoding': 'br' })
    const status = await get(b, '/api/ping/status', { 'accept-encoding': 'br' })
    const made = await b.app.inject({ method: 'POST', url: '/api/maintenance', payload: { scope: { device_ids: [1] }, duration_minutes: 30, reason: 'cache test' } as any })
    t.equal(made.statusCode, 201, made.body)
    const id = made.json().data.id
    const list2 = await get(b, '/api/maintenance', { 'accept-encoding': 'br', 'if-none-match': list.headers.etag as string })
    t.equal(list2.status, 200, 'the old tag of /maintenance no longer matches')
    t.same(JSON.parse(brotliDecompressSync(list2.body).toString()).data.windows.map((w: any) => w.id), [id], 'the new window is listed')
    // the status's device rows take their maintenance facts when the cycle is stored (src/monitor/latest-status.ts):
    // made anew after the write, it is the same answer (same tag) until the next cycle
    const ls = b.app.latestStatus
    const real = ls.status.bind(ls)
    let built = 0
    ls.status = (f) => { built++; return real(f) }
    t.teardown(() => { ls.status = real })
    const status2 = await get(b, '/api/ping/status', { 'accept-encoding': 'br' })
    t.equal(built, 1, 'the status is not served from before the write')
    t.ok(brotliDecompressSync(status2.body).equals(brotliDecompressSync(status.body)), 'the status is made anew, from the same cycle')
    t.equal(status2.headers.etag, status.headers.etag, 'the same bytes: the same tag')
    t.equal((await b.app.inject({ method: 'DELETE', url: `/api/maintenance/${id}` })).statusCode, 200)
    const list3 = await get(b, '/api/maintenance', { 'accept-encoding': 'br' })
    t.same(JSON.parse(brotliDecompressSync(list3.body).toString()).data.windows, [], 'ended: gone at once')
    t.equal(list3.headers.etag, list.headers.etag, 'the same bytes as before the window: the same tag again')
    t.equal(b.app.monitor.cycleCount, cycles, 'no cycle ran meanwhile')
  })

  t.test('the first requests of a cycle build the answer once', async (t) => {
    b.app.monitor.start()
    const at = b.app.monitor.cycleCount
    await waitFor(() => b.app.monitor.cycleCount > at, 10_000, 'one more cycle')
    await b.app.monitor.stop()
    const ls = b.app.latestStatus
    const real = ls.status.bind(ls)
    let built = 0
    ls.status = () => { built++; return real() }
    t.teardown(() => { ls.status = real })
    const codings = ['', 'gzip', 'br', 'gzip, br']
    const all = await Promise.all(Array.from({ length: 24 }, (_, i) => get(b, '/api/ping/status', codings[i % 4] === '' ? {} : { 'accept-encoding': codings[i % 4] })))
    t.equal(built, 1, '24 requests at once, one answer built')
    const decoded = all.map((r) => r.headers['content-encoding'] === 'br' ? brotliDecompressSync(r.body) : r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.body) : r.body)
    t.ok(decoded.every((d) => d.equals(decoded[0])), 'every one the same bytes')
    t.equal(new Set(all.map((r) => r.headers.etag)).size, 3, 'one tag per coding')
  })

  t.test('a first request whose client goes away does not leave the others of its URL waiting', async (t) => {
    const av = b.app.service.availability.availability
    const real = av.queryAsync
    let calls = 0
    let release = () => {}
    const gate = new Promise<void>((resolve) => { release = resolve })
    av.queryAsync = async (q) => {
      calls++
      if (calls === 1) await gate
      return await real(q)
    }
    t.teardown(() => { av.queryAsync = real })
    // a URL no other test asks for: its first request is a miss
    const path = '/api/ping/availability?window=7d&group_by=location&fields=availability_percent'
    const { port } = b.app.server.address() as { port: number }
    const first = request({ host: '127.0.0.1', port, path })
    first.on('error', () => {})
    first.end()
    await waitFor(() => calls === 1, 5_000, 'the first request computing')
    const second = get(b, path)
    await new Promise((resolve) => setTimeout(resolve, 100))
    t.equal(calls, 1, 'the second waits for the first one\'s answer')
    first.destroy()
    await new Promise((resolve) => setTimeout(resolve, 100))
    // Fastify sends nothing for an aborted request: without the cleanup the second would wait for ever
    release()
    const r = await second
    t.equal(r.status, 200)
    t.equal(calls, 2, 'the second computed its own answer')
    t.match(JSON.parse(r.body.toString()), { success: true, group_by: 'location' })
    const third = await get(b, path)
    t.ok(third.headers.etag, 'the next request makes the cached answer')
    const again = await get(b, path, { 'if-none-match': String(third.headers.etag) })
    t.equal(again.status, 304)
    t.equal(calls, 3)
  })

  t.test('an error answer is neither cached nor tagged', async (t) => {
    const r = await get(b, '/api/ping/device/999?hours=1', { 'accept-encoding': 'gzip' })
    t.equal(r.status, 404)
    t.equal(r.headers.etag, undefined)
    t.equal(JSON.parse(r.body.toString()).success, false)
  })
})
