import t from 'tap'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { build, tempDir } from '../helper.js'

// The routes through the whole app as production builds it (nothing started: no pings needed).

const KEY = 'test-key-0123456789'
const auth = { authorization: `Bearer ${KEY}` }
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString()

t.test('bad or unauthenticated requests are refused with the right code, and nothing is stored', async (t) => {
  const b = await build(t, { API_KEY: KEY })
  const file = join(b.csvDir, 'maintenance_windows.json')
  const post = (body: unknown, headers: Record<string, string> = auth) => b.app.inject({ method: 'POST', url: '/api/maintenance', headers, payload: body as any })
  const good = { scope: { device_ids: [12, 13] }, end: inAnHour(), reason: 'firmware' }

  const unauth = await post(good, {})
  t.equal(unauth.statusCode, 401)
  t.same(unauth.json(), { success: false, error: 'A valid "Authorization: Bearer <API_KEY>" header is required' })
  t.equal((await post(good, { authorization: 'Bearer wrong' })).statusCode, 401)
  t.equal((await b.app.inject({ method: 'DELETE', url: '/api/maintenance/1' })).statusCode, 401, 'DELETE needs the key too')
  t.equal((await post({ scope: 'nonsense' }, {})).statusCode, 401, 'a stranger learns nothing about the body rules')

  const cases: Array<[string, unknown, RegExp]> = [
    ['unknown scope key', { ...good, scope: { devices: [12] } }, /^Invalid request: body\/scope must be "all" or an object with one key/],
    ['two scope keys', { ...good, scope: { device_ids: [1], type_ids: [2] } }, /body\/scope must be/],
    ['empty scope list', { ...good, scope: { location_ids: [] } }, /body\/scope must be/],
    ['ids as strings (not coerced)', { ...good, scope: { device_ids: ['12'] } }, /body\/scope must be/],
    ['negative id', { ...good, scope: { type_ids: [-1] } }, /body\/scope must be/],
    ['scope another word', { ...good, scope: 'everything' }, /body\/scope must be/],
    ['no scope', { end: inAnHour(), reason: 'x' }, /Invalid request: body/],
    ['unknown field', { ...good, until: inAnHour() }, /^Invalid request: unknown field\(s\) in the body: until$/],
    ['end before start', { ...good, start: inAnHour(), end: new Date(Date.now() + 60_000).toISOString() }, /body\/end must be after body\/start/],
    ['end and duration', { ...good, duration_minutes: 30 }, /not both/],
    ['neither end nor duration', { scope: 'all', reason: 'x' }, /body\/end or body\/duration_minutes is required/],
    ['a 10 KB reason', { ...good, reason: 'x'.repeat(10 * 1024) }, /body\/reason must not have more than 500 characters/],
    ['empty reason', { ...good, reason: '' }, /body\/reason/],
    ['no reason', { scope: 'all', end: inAnHour() }, /Invalid request: body/],
    ['bad end date', { ...good, end: '2026-02-30T10:00:00+07:00' }, /body\/end is not an ISO 8601 date and time/],
    ['bad start date', { ...good, start: 'tomorrow' }, /body\/start is not an ISO 8601/],
    ['duration zero', { scope: 'all', duration_minutes: 0, reason: 'x' }, /body\/duration_minutes/],
    ['duration as text', { scope: 'all', duration_minutes: '30', reason: 'x' }, /body\/duration_minutes/],
    ['an array', [good], /the body must be a JSON object/],
    ['already over', { ...good, start: '2020-01-01T00:00:00Z', end: '2020-01-02T00:00:00Z' }, /already be over/]
  ]
  for (const [what, body, msg] of cases) {
    const r = await post(body)
    t.equal(r.statusCode, 400, what)
    t.match(r.json(), { success: false, error: msg }, what)
  }
  const text = await b.app.inject({ method: 'POST', url: '/api/maintenance', headers: { ...auth, 'content-type': 'text/plain' }, payload: 'all' })
  t.match(text.json(), { success: false, error: 'Invalid request: the body must be a JSON object' }, 'not JSON')
  t.equal(text.statusCode, 400)
  t.equal((await b.app.inject({ method: 'DELETE', url: '/api/maintenance/abc', headers: auth })).statusCode, 400)
  t.equal((await b.app.inject({ method: 'DELETE', url: '/api/maintenance/1', headers: auth })).statusCode, 404)

  t.notOk(existsSync(file), 'no file was written')
  const list = (await b.app.inject('/api/maintenance')).json()
  t.same(list.data.windows, [])
  t.equal(list.data.summary.future_windows + list.data.summary.active_windows, 0)
})

t.test('without API_KEY: loopback clients only', async (t) => {
  const b = await build(t)
  const body = { scope: 'all', duration_minutes: 5, reason: 'x' }
  const far = await b.app.inject({ method: 'POST', url: '/api/maintenance', remoteAddress: '192.0.2.7', payload: body })
  t.equal(far.statusCode, 403)
  t.equal((await b.app.inject({ method: 'DELETE', url: '/api/maintenance/1', remoteAddress: '192.0.2.7' })).statusCode, 403)
  t.notOk(existsSync(join(b.csvDir, 'maintenance_windows.json')))
  const near = await b.app.inject({ method: 'POST', url: '/api/maintenance', remoteAddress: '127.0.0.1', payload: body })
  t.equal(near.statusCode, 201)
})

t.test('make, list, end; the file follows; health counts; a rebuilt app reads the file back', async (t) => {
  const b = await build(t, { API_KEY: KEY })
  const file = join(b.csvDir, 'maintenance_windows.json')
  const start = new Date(Date.now() + 3_600_000)
  const made = await b.app.inject({ method: 'POST', url: '/api/maintenance', headers: auth, payload: { scope: { device_ids: [12, 13] }, start: start.toISOString(), duration_minutes: 90, reason: '  core switch firmware  ' } })
  t.equal(made.statusCode, 201)
  const w = made.json().data
  t.match(w, { id: 1, scope: { device_ids: [12, 13] }, reason: 'core switch firmware', active: false, ended_at: null })
  t.equal(Date.parse(w.start), start.getTime())
  t.equal(Date.parse(w.end), start.getTime() + 90 * 60_000)
  t.match(w.start, /[+-]\d\d:\d\d$/, 'local time with its offset')
  const now = await b.app.inject({ method: 'POST', url: '/api/maintenance', headers: auth, payload: { scope: 'all', end: inAnHour(), reason: 'all of it' } })
  t.equal(now.statusCode, 201)
  t.equal(now.json().data.id, 2)
  t.equal(now.json().data.active, true, 'start defaults to now')

  const list = (await b.app.inject('/api/maintenance')).json().data
  t.same(list.windows.map((x: any) => x.id), [2, 1], 'soonest first')
  t.match(list.summary, { active_windows: 1, future_windows: 1 })
  const health = (await b.app.inject('/api/health')).json()
  t.match(health.maintenance, { active_windows: 1, future_windows: 1, overdue: 0, file, last_error: null })

  const stored = JSON.parse(readFileSync(file, 'utf8'))
  t.same(stored.windows.map((x: any) => [x.id, x.reason]), [[1, 'core switch firmware'], [2, 'all of it']])

  const ended = await b.app.inject({ method: 'DELETE', url: '/api/maintenance/2', headers: auth })
  t.equal(ended.statusCode, 200)
  t.match(ended.json().data, { id: 2, active: false, ended_at: String })
  const again = await b.app.inject({ method: 'DELETE', url: '/api/maintenance/2', headers: auth })
  t.equal(again.statusCode, 404)
  t.same(again.json(), { success: false, error: 'No active or future maintenance window has id 2' })
  t.same((await b.app.inject('/api/maintenance')).json().data.windows.map((x: any) => x.id), [1])

  await b.app.close()
  const rebuilt = await build(t, { API_KEY: KEY, CSV_OUTPUT_DIR: b.csvDir })
  t.same((await rebuilt.app.inject('/api/maintenance')).json().data.windows.map((x: any) => x.id), [1], 'kept across a restart')
  const third = await rebuilt.app.inject({ method: 'POST', url: '/api/maintenance', headers: auth, payload: { scope: { type_ids: [4] }, duration_minutes: 5, reason: 'x' } })
  t.equal(third.json().data.id, 3, 'ids are never reused')
})

t.test('MAINTENANCE_FILE moves the file; an unwritable place is a 503 and changes nothing', async (t) => {
  // a directory that cannot exist: its parent is a file
  const dir = tempDir(t)
  writeFileSync(join(dir, 'plain-file'), '')
  const where = join(dir, 'plain-file', 'maintenance.json')
  const b = await build(t, { API_KEY: KEY, MAINTENANCE_FILE: where })
  const r = await b.app.inject({ method: 'POST', url: '/api/maintenance', headers: auth, payload: { scope: 'all', duration_minutes: 5, reason: 'x' } })
  t.equal(r.statusCode, 503)
  t.same(r.json(), { success: false, error: 'Service unavailable' })
  t.same((await b.app.inject('/api/maintenance')).json().data.windows, [])
  const h = (await b.app.inject('/api/health')).json()
  t.equal(h.status, 'degraded')
  t.match(h.maintenance, { file: where, last_error: String })
  t.ok(h.reasons.some((r: string) => r.startsWith('writing the maintenance file failing')))
})

t.test('generated bodies: a 201 that is listed, or a 4xx in the error shape that stores nothing; never a 5xx', async (t) => {
  const b = await build(t, { API_KEY: KEY, CONTROL_RATE_LIMIT: '100000' })
  const value = fc.oneof(
    fc.anything({ maxDepth: 2 }),
    fc.constantFrom('all', 'ALL', '', null, [], {}, 0, -1, 1.5, Number.POSITIVE_INFINITY, '2026-12-02T22:00:00+07:00', '2099-01-01T00:00:00Z', '2099-02-30T00:00:00Z', 'x'.repeat(600)),
    fc.record({ device_ids: fc.array(fc.oneof(fc.integer({ min: -2, max: 20 }), fc.string({ maxLength: 3 })), { maxLength: 4 }) }),
    fc.dictionary(fc.constantFrom('device_ids', 'location_ids', 'type_ids', 'devices', '__proto__'), fc.array(fc.nat(30), { maxLength: 3 }), { maxKeys: 2 })
  )
  const body = fc.record({
    scope: value,
    start: fc.oneof(value, fc.date({ min: new Date(Date.now() - 86_400_000), max: new Date('2099-01-01'), noInvalidDate: true }).map((d) => d.toISOString())),
    end: fc.oneof(value, fc.date({ min: new Date(), max: new Date('2099-01-01'), noInvalidDate: true }).map((d) => d.toISOString())),
    duration_minutes: fc.oneof(value, fc.integer({ min: -5, max: 600_000 })),
    reason: value,
    extra: value
  }, { requiredKeys: [] })
  // a good body, and the same with one field replaced by a generated value
  const good = fc.record({
    scope: fc.oneof(fc.constant('all' as unknown), fc.uniqueArray(fc.nat(50), { minLength: 1, maxLength: 5 }).map((ids) => ({ device_ids: ids }))),
    duration_minutes: fc.integer({ min: 1, max: 600 }),
    reason: fc.string({ minLength: 1, maxLength: 40 }).filter((r) => r.trim() !== '')
  })
  const mutated = fc.tuple(good, fc.constantFrom('scope', 'duration_minutes', 'reason', 'end', 'start'), value).map(([g, k, v]) => ({ ...g, [k]: v }))
  const bodies = fc.oneof(body, good, mutated)
  let created = 0
  let refused = 0
  await fc.assert(fc.asyncProperty(bodies, async (payload) => {
    const before = (await b.app.inject('/api/maintenance')).json().data.windows.length
    const res = await b.app.inject({ method: 'POST', url: '/api/maintenance', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify(payload) })
    const after = (await b.app.inject('/api/maintenance')).json().data.windows
    if (res.statusCode === 201) {
      created++
      if (!after.some((w: any) => w.id === res.json().data.id)) throw new Error('a 201 window that is not listed')
      await b.app.inject({ method: 'DELETE', url: `/api/maintenance/${res.json().data.id as number}`, headers: auth })
      return
    }
    refused++
    const j = res.json()
    if (res.statusCode < 400 || res.statusCode >= 500 || j.success !== false || typeof j.error !== 'string') throw new Error(`${res.statusCode} ${res.body.slice(0, 200)}`)
    if (after.length !== before) throw new Error(`a refused request changed the list: ${JSON.stringify(payload).slice(0, 200)}`)
  }), { numRuns: 300 })
  t.ok(refused > 100 && created > 30, `${refused} refused, ${created} made`)
  t.comment(`generated bodies: ${created} made, ${refused} refused`)
})
