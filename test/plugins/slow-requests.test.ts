import t from 'tap'
import { build } from '../helper.js'
import { SLOW_REQUEST_MS } from '../../src/plugins/slow-requests.js'

t.test('a request that takes a second or more is logged, with its request id; a quick one is not', async (t) => {
  const { app, logs } = await build(t)
  const av = app.service.availability.availability
  const real = av.queryAsync
  av.queryAsync = async (q) => {
    await new Promise((resolve) => setTimeout(resolve, SLOW_REQUEST_MS + 100))
    return await real(q)
  }
  t.teardown(() => { av.queryAsync = real })
  const quick = await app.inject({ method: 'GET', url: '/api/health' })
  t.equal(quick.statusCode, 200)
  t.equal(logs.find('slow request').length, 0)
  const slow = await app.inject({ method: 'GET', url: '/api/ping/availability?window=24h&group_by=location' })
  t.equal(slow.statusCode, 200)
  const lines = logs.find('slow request')
  t.equal(lines.length, 1)
  t.match(lines[0], { level: 40, reqId: String, method: 'GET', url: '/api/ping/availability?window=24h&group_by=location', statusCode: 200 })
  t.ok(lines[0].response_ms >= SLOW_REQUEST_MS)
})
