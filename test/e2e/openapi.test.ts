import t from 'tap'
import { Validator } from '@seriousme/openapi-schema-validator'
import { Ajv } from 'ajv'
import { build } from '../helper.js'

// The API documentation: a valid OpenAPI document, every route described, every answer with an
// example that matches its own schema. Building the app starts nothing, so no network is needed.
t.test('/docs/json is a valid OpenAPI document that documents every route', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(res.statusCode, 200)
  const doc = res.json()

  const validator = new Validator()
  const result = await validator.validate(doc)
  t.same(result.errors ?? [], [], 'no validation errors')
  t.ok(result.valid, `valid OpenAPI ${validator.version}`)

  const spec = validator.resolveRefs() as any
  const ajv = new Ajv({ strict: false, allErrors: true })
  const operations = Object.entries<any>(spec.paths).flatMap(([path, ops]) => Object.entries<any>(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })))
  const routes = operations.map((o) => o.route)
  for (const expected of ['GET /api/health', 'GET /api/ping/latest', 'GET /api/ping/status', 'GET /api/ping/device/{device_id}', 'GET /api/ping/statistics',
    'GET /api/ping/devices/{device_id}/timeline', 'GET /api/ping/overview', 'GET /api/ping/service/status', 'POST /api/ping/service/start',
    'POST /api/ping/service/stop', 'POST /api/ping/test/{ip_address}', 'POST /api/maintenance', 'GET /api/maintenance', 'DELETE /api/maintenance/{id}']) {
    t.ok(routes.includes(expected), `${expected} is documented`)
  }
  t.notOk(routes.some((r) => !r.includes('/api/')), 'the dashboard files are not API routes')

  for (const { route, op } of operations) {
    t.test(route, async (t) => {
      t.ok(typeof op.summary === 'string' && op.summary.length > 10, 'a summary')
      t.ok(typeof op.description === 'string' && op.description.length > 40, 'a description')
      const codes = Object.keys(op.responses)
      t.ok(codes.includes('200') || codes.includes('201'), 'documents its answer')
      for (const code of codes) {
        const media = op.responses[code].content?.['application/json']
        // on the answer itself, or on the shared schema it refers to (the error shape)
        const examples = [
          ...(media?.example !== undefined ? [media.example] : []),
          ...Object.values<any>(media?.examples ?? {}).map((e) => e.value),
          ...(media?.schema?.example !== undefined ? [media.schema.example] : []),
          ...(Array.isArray(media?.schema?.examples) ? media.schema.examples : [])
        ]
        t.ok(examples.length > 0, `${code}: an example answer`)
        t.not(op.responses[code].description, 'Default Response', `${code}: a description of the answer`)
        const validate = ajv.compile(media.schema)
        for (const example of examples) t.ok(validate(example), `${code}: the example matches the schema ${JSON.stringify(validate.errors)}`)
      }
      if (route.startsWith('POST ')) t.same(op.security, [{ bearerAuth: [] }], 'says it needs the API key')
    })
  }
})

t.test('the Swagger UI is served at /docs, without a CDN', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /text\/html/)
  t.notMatch(res.body, /https?:\/\/(?!127\.0\.0\.1|localhost)[^"']*\.(js|css)/, 'no script or style from elsewhere')
})
