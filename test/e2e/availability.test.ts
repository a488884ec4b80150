import t from 'tap'
import Papa from 'papaparse'
import { build, tempDir } from '../helper.js'
import type { CycleResult } from '../../src/monitor/cycle.js'
import type { CycleInfo } from '../../src/monitor/monitor.js'
import { formatLocalIso } from '../../src/lib/local-time.js'
import type { FastifyInstance } from 'fastify'

// The whole app, cycles injected through the pipeline as the monitor would hand them over: the device
// state stage decides, the availability stage records, the routes answer from the SQLite store.

const H = 3_600_000
const info: CycleInfo = { number: 1, started_at: '', duration_ms: 1, devices: 2, up: 0, down: 0 }

function cycle (at: number, results: Array<[number, boolean]>): CycleResult {
  return {
    rows: results.map(([id, ok]) => ({ at, row: { timestamp: formatLocalIso(at), device_id: id, ip_address: `127.0.0.${id}`, hostname: `d${id}`, ping_success: ok, response_time_ms: ok ? 1.5 : null, error_message: ok ? '' : 'timeout' } })),
    up: results.filter((r) => r[1]).length,
    down: results.filter((r) => !r[1]).length,
    targets: results.length
  }
}

function feed (app: FastifyInstance, from: number, to: number, ok: (id: number, at: number) => boolean): void {
  for (let at = from; at < to; at += 5000) app.service.pipeline.cycle(cycle(at, [[1, ok(1, at)], [2, ok(2, at)]]), info)
}

const get = async (app: FastifyInstance, url: string) => {
  const r = await app.inject({ method: 'GET', url })
  return { status: r.statusCode, body: String(r.headers['content-type']).includes('json') ? r.json() : r.body, type: r.headers['content-type'] }
}

t.test('availability, outages and CSV from injected cycles; a restart keeps one outage', async (t) => {
  const csvDir = tempDir(t, 'mpm-avail-')
  const env = { CSV_OUTPUT_DIR: csvDir, PING_INTERVAL: '5', DOWN_AFTER_FAILURES: '3', UP_AFTER_SUCCESSES: '2' }
  // 4 hours back: every result fed (to 3.5 h after start) is in the past, whatever the minute now
  const start = Math.floor(Date.now() / H) * H - 4 * H
  const downFrom = start + H + 20 * 60_000
  const { app } = await build(t, env)
  app.service.availability.start()
  // device 1 is up; device 2 goes down 1 h 20 min in and stays down
  feed(app, start, start + 2 * H, (id, at) => id === 1 || at < downFrom)
  await app.service.availability.availability.flush()

  const a = await get(app, `/api/ping/availability?from=${new Date(start).toISOString()}&to=${new Date(start + 2 * H).toISOString()}`)
  t.equal(a.status, 200)
  t.match(a.body.data, [{ key: 1, availability_percent: 100, up_s: 7200, down_s: 0 }, { key: 2, up_s: 4800, down_s: 2400, outages: 1, availability_percent: 66.667 }])
  const open = await get(app, '/api/ping/outages?hours=24&open=true')
  t.equal(open.status, 200)
  t.match(open.body.data, [{ device_id: 2, open: true, end: null, cause: 'down', start: formatLocalIso(downFrom) }])

  const csv = await get(app, `/api/ping/availability?from=${new Date(start).toISOString()}&to=${new Date(start + 2 * H).toISOString()}&format=csv`)
  t.equal(csv.status, 200)
  t.match(csv.type, /text\/csv/)
  const parsed = Papa.parse<string[]>(csv.body as string, { skipEmptyLines: true }).data
  t.same(parsed[0].slice(0, 3), ['device_id', 'devices', 'availability_percent'])
  t.same(parsed[2].slice(0, 3), ['2', '1', '66.667'])

  for (const bad of ['window=13x', 'from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', 'from=yesterday', 'window=24h&from=2026-11-01T00:00:00Z', 'group_by=floor', 'maintenance=maybe']) {
    const r = await get(app, `/api/ping/availability?${bad}`)
    t.equal(r.status, 400, bad)
    t.match(r.body, { success: false, error: String })
  }
  t.equal((await get(app, '/api/ping/outages?hours=0')).status, 400)
  t.equal((await get(app, '/api/ping/outages?to=2026-11-01T00:00:00Z')).status, 400)
  await app.close()

  // the service stops for an hour; the new one resumes the open outage and closes it at the first reply
  const { app: app2 } = await build(t, { ...env, AVAILABILITY_DAYS: '30' })
  app2.service.availability.start()
  // the rebuild from CSV of what was not written before the stop runs first (a live service's results
  // all come after its start; these injected ones lie in the past and must not be read back twice)
  await app2.service.availability.availability.rebuilt()
  const upAt = start + 3 * H + 10 * 60_000
  feed(app2, start + 3 * H, start + 3 * H + 30 * 60_000, (id, at) => id === 1 || at >= upAt)
  await app2.service.availability.availability.flush()
  const all = await get(app2, '/api/ping/outages?hours=48')
  t.equal(all.body.count, 1, 'one outage, not two')
  t.match(all.body.data[0], { device_id: 2, open: false, start: formatLocalIso(downFrom), end: formatLocalIso(upAt) })
  const b = await get(app2, `/api/ping/availability?from=${new Date(start).toISOString()}&to=${new Date(start + 3 * H + 30 * 60_000).toISOString()}`)
  // 3.5 hours asked are 4 whole hours; the stopped hour and the rest after the last result are not monitored
  const d2 = b.body.data.find((e: any) => e.key === 2)
  t.match(d2, { up_s: 4800 + 1200, down_s: 2400 + 600 })
  // "now" is taken to the minute so that the answer can be shared within one
  const expected = Math.min(4 * 3600, (Date.now() - start) / 1000) - 9000
  t.ok(d2.not_monitored_s <= expected && d2.not_monitored_s > expected - 61, `not monitored ${d2.not_monitored_s} ~ ${expected}`)
  t.equal((await get(app2, '/api/ping/availability?window=90d')).status, 400, 'a window longer than AVAILABILITY_DAYS')
})
