import t from 'tap'
import { build } from '../helper.js'
import { isLoopback, keyMatches } from '../../src/plugins/security.js'

t.test('loopback detection and key comparison', async (t) => {
  for (const ip of ['127.0.0.1', '127.9.8.7', '::1', '::ffff:127.0.0.1']) t.ok(isLoopback(ip), ip)
  for (const ip of ['10.0.0.1', '192.168.1.1', '::ffff:10.0.0.1', 'fe80::1', '1270.0.0.1']) t.notOk(isLoopback(ip), ip)
  t.ok(keyMatches('Bearer s3cret', 's3cret'))
  for (const h of [undefined, '', 's3cret', 'Bearer ', 'Bearer s3cre', 'Bearer s3cret ', 'bearer s3cret', 'Basic s3cret']) t.notOk(keyMatches(h, 's3cret'), String(h))
})

t.test('without API_KEY: control routes answer loopback clients only, and the start log warns', async (t) => {
  const { app, logs } = await build(t)
  t.equal(logs.find(/API_KEY is not set/).length, 1)
  const far = await app.inject({ method: 'POST', url: '/api/ping/service/stop', remoteAddress: '192.0.2.10' })
  t.equal(far.statusCode, 403)
  t.match(far.json(), { success: false, error: /loopback/ })
  const farTest = await app.inject({ method: 'POST', url: '/api/ping/test/127.0.0.1', remoteAddress: '2001:db8::5' })
  t.equal(farTest.statusCode, 403)
  const near = await app.inject({ method: 'POST', url: '/api/ping/service/stop', remoteAddress: '127.0.0.1' })
  t.equal(near.statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/api/ping/status', remoteAddress: '192.0.2.10' })).statusCode, 200, 'reads are open')
})

t.test('with API_KEY: every POST needs the bearer key; it never shows in logs or answers', async (t) => {
  const key = 'k3y-with-@:/#-chars'
  const { app, logs } = await build(t, { API_KEY: key, DB_PASSWORD: 'db-p@ss:/#word' })
  for (const url of ['/api/ping/service/stop', '/api/ping/service/start', '/api/ping/test/127.0.0.1']) {
    const none = await app.inject({ method: 'POST', url, remoteAddress: '127.0.0.1' })
    t.equal(none.statusCode, 401, url)
    t.match(none.json(), { success: false, error: /Authorization: Bearer/ })
    const wrong = await app.inject({ method: 'POST', url, headers: { authorization: 'Bearer nope' } })
    t.equal(wrong.statusCode, 401)
  }
  const ok = await app.inject({ method: 'POST', url: '/api/ping/service/stop', remoteAddress: '192.0.2.10', headers: { authorization: `Bearer ${key}` } })
  t.equal(ok.statusCode, 200, 'the key works from any address')
  const health = await app.inject({ method: 'GET', url: '/api/health' })
  const status = await app.inject({ method: 'GET', url: '/api/ping/service/status' })
  for (const text of [health.body, status.body, logs.raw.join('\n')]) {
    t.notOk(text.includes(key), 'no API key')
    t.notOk(text.includes('db-p@ss:/#word'), 'no DB password')
  }
})

t.test('test pings are rate limited with a JSON 429', async (t) => {
  const { app } = await build(t, { TEST_PING_RATE_LIMIT: '2' })
  const codes: number[] = []
  let last
  for (let i = 0; i < 3; i++) {
    last = await app.inject({ method: 'POST', url: '/api/ping/test/127.0.0.1' })
    codes.push(last.statusCode)
  }
  t.same(codes, [200, 200, 429])
  t.match(last!.json(), { success: false, error: /Too many requests/ })
  t.ok(last!.headers['retry-after'])
})

t.test('errors: bad JSON bodies, huge params and internal failures answer in the one shape', async (t) => {
  const { app, logs } = await build(t)
  const body = await app.inject({ method: 'POST', url: '/api/ping/service/stop', headers: { 'content-type': 'application/json' }, payload: '{bad' })
  t.equal(body.statusCode, 400)
  t.match(body.json(), { success: false, error: String })
  const huge = await app.inject({ method: 'GET', url: '/api/ping/device/' + '1'.repeat(5000) })
  t.ok(huge.statusCode >= 400 && huge.statusCode < 500)
  t.match(huge.json(), { success: false })
  app.inventory.devices = () => { throw new Error('secret internal detail') }
  const boom = await app.inject({ method: 'GET', url: '/api/ping/device/1' })
  t.equal(boom.statusCode, 500)
  t.same(boom.json(), { success: false, error: 'Internal server error' })
  // the detail goes to the log, in the request's own line (its id bound; the request logger is made lazily)
  const failed = logs.find('request failed')
  t.equal(failed.length, 1)
  t.match(failed[0], { level: 50, reqId: String, err: { message: 'secret internal detail' } })
})

t.test('security headers on every answer; CORS off unless CORS_ORIGINS lists origins', async (t) => {
  const { app } = await build(t)
  const r = await app.inject({ method: 'GET', url: '/api/ping/status', headers: { origin: 'http://evil.example' } })
  t.match(r.headers['content-security-policy'], /default-src 'self'/)
  t.equal(r.headers['x-content-type-options'], 'nosniff')
  t.equal(r.headers['x-frame-options'], 'SAMEORIGIN')
  t.equal(r.headers['access-control-allow-origin'], undefined, 'no CORS by default')
  const { app: withCors } = await build(t, { CORS_ORIGINS: 'http://noc.example, http://wall.example' })
  const ok = await withCors.inject({ method: 'GET', url: '/api/ping/status', headers: { origin: 'http://wall.example' } })
  t.equal(ok.headers['access-control-allow-origin'], 'http://wall.example')
  const other = await withCors.inject({ method: 'GET', url: '/api/ping/status', headers: { origin: 'http://evil.example' } })
  t.equal(other.headers['access-control-allow-origin'], undefined)
  // over HTTP, a cached answer (the second request) too: the response cache's front door
  // (lib/front-door.ts) would answer it without CORS's headers, so it stays shut with CORS on
  t.not(app.frontDoor.handler, null, 'the front door is open without CORS')
  t.equal(withCors.frontDoor.handler, null, 'and shut with CORS on')
  await withCors.listen({ host: '127.0.0.1', port: 0 })
  const { port } = withCors.server.address() as { port: number }
  for (const n of [1, 2]) {
    const r = await fetch(`http://127.0.0.1:${port}/api/ping/status`, { headers: { origin: 'http://wall.example' } })
    t.equal(r.headers.get('access-control-allow-origin'), 'http://wall.example', `request ${n}`)
    t.equal(r.headers.get('vary'), 'Origin, Accept-Encoding')
    t.equal(r.status, 200)
  }
})

t.test('the front door shuts when the app starts closing', async (t) => {
  const { app } = await build(t)
  t.not(app.frontDoor.handler, null)
  await app.close()
  t.equal(app.frontDoor.handler, null, 'every request goes to Fastify, which answers 503 while closing')
})

t.test('TRUST_PROXY decides whether X-Forwarded-For names the client for the loopback rule', async (t) => {
  const { app } = await build(t)
  const spoof = await app.inject({ method: 'POST', url: '/api/ping/service/stop', remoteAddress: '192.0.2.7', headers: { 'x-forwarded-for': '127.0.0.1' } })
  t.equal(spoof.statusCode, 403, 'a forged header from a far client is not believed')
  const { app: behindProxy } = await build(t, { TRUST_PROXY: '127.0.0.1' })
  const viaProxy = await behindProxy.inject({ method: 'POST', url: '/api/ping/service/stop', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '192.0.2.7' } })
  t.equal(viaProxy.statusCode, 403, 'a far client behind the local proxy is far')
  const local = await behindProxy.inject({ method: 'POST', url: '/api/ping/service/stop', remoteAddress: '127.0.0.1' })
  t.equal(local.statusCode, 200)
  await t.rejects(build(t, { TRUST_PROXY: 'yes please' }), { message: /^Invalid setting TRUST_PROXY="yes please": expected false, true, a hop count/ })
})

t.test('control routes are rate limited too; body size is bounded', async (t) => {
  const { app } = await build(t, { CONTROL_RATE_LIMIT: '3' })
  const codes: number[] = []
  for (let i = 0; i < 4; i++) codes.push((await app.inject({ method: 'POST', url: '/api/ping/service/stop' })).statusCode)
  t.same(codes, [200, 200, 200, 429])
  const big = await app.inject({ method: 'POST', url: '/api/ping/test/127.0.0.1', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ x: 'y'.repeat(20_000) }) })
  t.equal(big.statusCode, 413)
  t.match(big.json(), { success: false })
})
