import t from 'tap'
import { execFileSync } from 'node:child_process'
import { request as httpRequest } from 'node:http'
import { build, waitFor, NETNS_SKIP, type BuiltApp, type TestContext } from '../helper.js'

// The control routes' access rule seen from a really different client address, over real TCP: inside
// the test's private network namespace 192.0.2.10 (TEST-NET-1, documentation only) is added to lo, and
// requests to the service on 127.0.0.1 are sent FROM it. Nothing leaves the namespace: the server and
// every destination are 127.0.0.1 (and ::1 below).
const FAR = '192.0.2.10'
const FAR6 = '2001:db8::10'

/** Adds an address to lo for the test (idempotent) and removes it afterwards if this test added it. */
function addLoAddress (t: TestContext, cidr: string, family: '-4' | '-6' = '-4'): void {
  let added = false
  try {
    execFileSync('ip', [family, 'addr', 'add', cidr, 'dev', 'lo', ...(family === '-6' ? ['nodad'] : [])], { stdio: ['ignore', 'ignore', 'pipe'] })
    added = true
  } catch (err: any) {
    if (!/File exists/.test(String(err.stderr))) throw err
  }
  t.teardown(() => { if (added) execFileSync('ip', [family, 'addr', 'del', cidr, 'dev', 'lo']) })
}

interface Answer { status: number, body: any, localAddress: string | undefined, remoteAddress: string | undefined }

/** A real HTTP request to the service, sent from the source address `from`. */
function call (port: number, method: string, path: string, from: string, headers: Record<string, string> = {}, host = '127.0.0.1'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port, method, path, localAddress: from, headers, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (d: string) => { text += d })
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), localAddress: res.socket?.localAddress, remoteAddress: res.socket?.remoteAddress })
        } catch (err) { reject(err) }
      })
    })
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} from ${from}: no answer`)))
    req.on('error', reject)
    req.end()
  })
}

async function listen (t: TestContext, env: Record<string, string> = {}, host = '127.0.0.1'): Promise<BuiltApp & { port: number }> {
  const b = await build(t, env)
  await b.app.listen({ host, port: 0 })
  return { ...b, port: (b.app.server.address() as { port: number }).port }
}

const running = async (port: number, from: string) => (await call(port, 'GET', '/api/ping/service/status', from)).body.data.running as boolean

t.test('control routes seen from a real non-loopback client address', { skip: NETNS_SKIP }, async (t) => {
  addLoAddress(t, `${FAR}/32`)

  t.test('without API_KEY: refused from 192.0.2.10, allowed from 127.0.0.1; reads are open', async (t) => {
    const b = await listen(t)
    await b.app.service.start()
    await waitFor(() => b.app.monitor.status().cycles >= 1, 15_000, 'first cycle')
    const { port } = b

    const stop = await call(port, 'POST', '/api/ping/service/stop', FAR)
    t.equal(stop.localAddress, FAR, 'the request really left from 192.0.2.10')
    t.equal(stop.status, 403)
    t.match(stop.body, { success: false, error: /loopback/ })
    t.same(Object.keys(stop.body).sort(), ['error', 'success'], 'the one error shape')
    const test = await call(port, 'POST', '/api/ping/test/127.0.0.1', FAR)
    t.equal(test.status, 403)
    t.match(test.body, { success: false, error: /loopback/ })
    const start = await call(port, 'POST', '/api/ping/service/start', FAR)
    t.equal(start.status, 403)

    // the refusals changed nothing: the monitor still runs and keeps cycling
    t.equal(await running(port, FAR), true, 'still running after the refused stop')
    const cycles = b.app.monitor.status().cycles
    await waitFor(() => b.app.monitor.status().cycles > cycles, 10_000, 'cycles go on')

    // reads answer anyone
    for (const path of ['/api/health', '/api/ping/status', '/api/ping/latest', '/api/ping/service/status', '/api/ping/statistics']) {
      const r = await call(port, 'GET', path, FAR)
      t.equal(r.status, 200, `GET ${path} from ${FAR}`)
      t.equal(r.body.success, true)
    }

    // the same from loopback works
    const nearTest = await call(port, 'POST', '/api/ping/test/127.0.0.1', '127.0.0.1')
    t.equal(nearTest.status, 200)
    t.match(nearTest.body, { success: true, ip_address: '127.0.0.1', ping_result: { success: true, error_message: '' } })
    const nearStop = await call(port, 'POST', '/api/ping/service/stop', '127.0.0.1')
    t.equal(nearStop.status, 200)
    t.equal(nearStop.body.data.running, false)
    t.equal(await running(port, FAR), false)
    // a far start is refused while stopped too; a near one works
    t.equal((await call(port, 'POST', '/api/ping/service/start', FAR)).status, 403)
    t.equal(await running(port, '127.0.0.1'), false, 'still stopped after the refused start')
    const nearStart = await call(port, 'POST', '/api/ping/service/start', '127.0.0.1')
    t.equal(nearStart.status, 200)
    t.equal(nearStart.body.data.running, true)
    // another loopback address of the same machine counts as loopback
    t.equal((await call(port, 'POST', '/api/ping/service/stop', '127.0.0.2')).status, 200, 'from 127.0.0.2')
  })

  t.test('with API_KEY: 192.0.2.10 with the right Bearer key works, without or with a wrong one is refused', async (t) => {
    const key = 'remote-k3y:/#@'
    const b = await listen(t, { API_KEY: key })
    await b.app.service.start()
    const { port } = b
    for (const [path, what] of [['/api/ping/service/stop', 'stop'], ['/api/ping/test/127.0.0.1', 'test ping']]) {
      for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: key }, { authorization: `bearer ${key}` }, { authorization: `Bearer ${key}x` }] as Array<Record<string, string>>) {
        const r = await call(port, 'POST', path, FAR, headers)
        t.equal(r.status, 401, `${what} with ${JSON.stringify(headers)}`)
        t.match(r.body, { success: false, error: /Authorization: Bearer/ })
      }
    }
    t.equal(await running(port, FAR), true, 'the refused stops changed nothing')
    const test = await call(port, 'POST', '/api/ping/test/127.0.0.1', FAR, { authorization: `Bearer ${key}` })
    t.equal(test.status, 200)
    t.match(test.body, { success: true, ping_result: { success: true } })
    const stop = await call(port, 'POST', '/api/ping/service/stop', FAR, { authorization: `Bearer ${key}` })
    t.equal(stop.status, 200)
    t.equal(stop.body.data.running, false)
    const start = await call(port, 'POST', '/api/ping/service/start', FAR, { authorization: `Bearer ${key}` })
    t.equal(start.status, 200)
    t.equal(start.body.data.running, true)
    // with a key set, loopback needs it too
    t.equal((await call(port, 'POST', '/api/ping/service/stop', '127.0.0.1')).status, 401)
    t.equal((await call(port, 'GET', '/api/ping/status', FAR)).status, 200, 'reads stay open')
  })

  t.test('TRUST_PROXY: whose X-Forwarded-For is believed', async (t) => {
    const spoof = { 'x-forwarded-for': '127.0.0.1' }
    const plain = await listen(t)
    t.equal((await call(plain.port, 'POST', '/api/ping/service/stop', FAR, spoof)).status, 403, 'default: a forged header from a far client is ignored')

    const local = await listen(t, { TRUST_PROXY: '127.0.0.1' })
    t.equal((await call(local.port, 'POST', '/api/ping/service/stop', FAR, spoof)).status, 403, 'a far client is not the trusted proxy')
    t.equal((await call(local.port, 'POST', '/api/ping/service/stop', '127.0.0.1', { 'x-forwarded-for': FAR })).status, 403, 'the local proxy forwarding a far client')
    t.equal((await call(local.port, 'POST', '/api/ping/service/stop', '127.0.0.1', { 'x-forwarded-for': `127.0.0.1, ${FAR}` })).status, 403, 'the nearest untrusted hop decides, not a forged first entry')
    t.equal((await call(local.port, 'POST', '/api/ping/service/stop', '127.0.0.1', { 'x-forwarded-for': '127.0.0.7' })).status, 200, 'the local proxy forwarding a local client')

    const far = await listen(t, { TRUST_PROXY: `${FAR}/32` })
    t.equal((await call(far.port, 'POST', '/api/ping/service/stop', FAR, { 'x-forwarded-for': '127.0.0.1' })).status, 200, 'a proxy at 192.0.2.10, listed, is believed')
    t.equal((await call(far.port, 'POST', '/api/ping/service/stop', FAR, { 'x-forwarded-for': '192.0.2.99' })).status, 403, 'that proxy forwarding a far client')

    const hop = await listen(t, { TRUST_PROXY: '1' })
    t.equal((await call(hop.port, 'POST', '/api/ping/service/stop', FAR, { 'x-forwarded-for': `${FAR}, 192.0.2.99` })).status, 403, 'one hop: the last entry is the client')
  })

  t.test('dual-stack listener: IPv4-mapped far clients are far, IPv4-mapped loopback is near', async (t) => {
    const b = await listen(t, {}, '::')
    const peers: Array<string | undefined> = []
    b.app.server.on('connection', (socket) => peers.push(socket.remoteAddress))
    const far = await call(b.port, 'POST', '/api/ping/service/stop', FAR)
    t.equal(peers.at(-1), `::ffff:${FAR}`, 'the server sees the IPv4-mapped far address')
    t.equal(far.status, 403, 'far, IPv4-mapped')
    t.equal((await call(b.port, 'POST', '/api/ping/service/stop', '127.0.0.1')).status, 200, 'loopback, IPv4-mapped')
    t.equal(peers.at(-1), '::ffff:127.0.0.1')
    t.equal((await call(b.port, 'POST', '/api/ping/service/stop', '::1', {}, '::1')).status, 200, 'from ::1')
  })

  t.test('IPv6: a far source address to ::1 is refused', async (t) => {
    addLoAddress(t, `${FAR6}/128`, '-6')
    const b = await listen(t, {}, '::1')
    const far = await waitFor(async () => { try { return await call(b.port, 'POST', '/api/ping/service/stop', FAR6, {}, '::1') } catch { return null } }, 5000, 'IPv6 address usable')
    t.equal(far.localAddress, FAR6)
    t.equal(far.status, 403)
    t.match(far.body, { success: false, error: /loopback/ })
    t.equal((await call(b.port, 'POST', '/api/ping/service/stop', '::1', {}, '::1')).status, 200)
  })
})
