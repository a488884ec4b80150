import t from 'tap'
import fc from 'fast-check'
import { build } from '../helper.js'

// Generated bad input against every route: only 4xx JSON answers in the one error shape, never a
// 5xx, and the service keeps answering. The number of cases is printed for the README.
const RUNS = Number(process.env.MPM_FUZZ_RUNS ?? 300)

const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', '-1', '0', '1e309', 'NaN', 'Infinity', '-Infinity', '1.5', '99999999999999999999', '0x10', ' 1', '1 ', 'true', 'null', '[]', '{}',
    '../../etc/passwd', '..%2F..%2Fetc%2Fpasswd', '%00', '%0d%0aSet-Cookie:%20x=1', '<script>alert(1)</script>', "' OR 1=1 --", '$' + '{jndi:ldap://x}', '\u202e\u0000\uffff', '😀'.repeat(20)),
  fc.integer().map(String),
  fc.double().map(String),
  fc.constant('9'.repeat(10_000))
)

const enc = (s: string) => encodeURIComponent(s)

t.test('generated invalid input never gets a 5xx', async (t) => {
  const { app } = await build(t)
  let cases = 0
  const check = async (method: string, url: string, payload?: string, headers: Record<string, string> = {}) => {
    const res = await app.inject({ method: method as any, url, payload, headers })
    cases++
    if (res.statusCode >= 500) throw new Error(`${method} ${url.slice(0, 200)} -> ${res.statusCode} ${res.body.slice(0, 200)}`)
    const body = JSON.parse(res.body)
    if (res.statusCode >= 400 && (body.success !== false || typeof body.error !== 'string')) throw new Error(`${url.slice(0, 100)}: not the error shape: ${res.body.slice(0, 200)}`)
    return res
  }
  const routes = [
    (v: string) => `/api/ping/latest?limit=${enc(v)}`,
    (v: string) => `/api/ping/device/${enc(v)}`,
    (v: string) => `/api/ping/device/1?hours=${enc(v)}`,
    (v: string) => `/api/ping/device/1?limit=${enc(v)}&hours=1`,
    (v: string) => `/api/ping/statistics?device_id=${enc(v)}`,
    (v: string) => `/api/ping/statistics?hours=${enc(v)}`,
    (v: string) => `/api/ping/devices/${enc(v)}/timeline`,
    (v: string) => `/api/ping/devices/1/timeline?bucket=${enc(v)}`,
    (v: string) => `/api/ping/overview?minutes=${enc(v)}&points=${enc(v)}`,
    (v: string) => `/api/${enc(v)}`,
    (v: string) => `/api/ping/${v.replace(/[?#]/g, '')}`
  ]
  await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: routes.length - 1 }), nasty, async (i, v) => {
    await check('GET', routes[i](v))
  }), { numRuns: RUNS * routes.length })
  // the test ping route: anything but an IP literal is a 400 (or 404 when it is not one path segment)
  await fc.assert(fc.asyncProperty(nasty, async (v) => {
    const res = await check('POST', `/api/ping/test/${enc(v)}`)
    if (res.statusCode === 200) throw new Error(`pinged ${JSON.stringify(v)}`)
  }), { numRuns: RUNS })
  // malformed bodies, odd content types and huge headers on the control routes
  await fc.assert(fc.asyncProperty(fc.constantFrom('/api/ping/service/status', '/api/ping/service/stop', '/api/ping/service/start'), fc.string({ maxLength: 200 }),
    fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-7'),
    async (url, body, type) => { await check('POST', url, body, { 'content-type': type }) }), { numRuns: RUNS })
  await check('POST', '/api/ping/service/stop', 'x'.repeat(100_000), { 'content-type': 'application/json' })
  await check('POST', '/api/ping/service/stop', '{"a":1}', { 'content-type': 'application/json', authorization: 'Bearer ' + 'x'.repeat(8000) })
  // wrong methods
  for (const method of ['PUT', 'DELETE', 'PATCH']) {
    for (const url of ['/api/health', '/api/ping/latest', '/api/ping/status', '/api/ping/service/start', '/api/ping/test/127.0.0.1']) {
      const res = await check(method, url)
      t.equal(res.statusCode, 404, `${method} ${url}`)
    }
  }
  const health = await app.inject({ method: 'GET', url: '/api/health' })
  t.equal(health.statusCode, 200, 'still answering')
  t.comment(`fuzz cases run: ${cases}`)
  t.ok(cases >= RUNS * (routes.length + 2))
})
