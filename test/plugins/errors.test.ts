import t from 'tap'
import { Type } from 'typebox'
import { build } from '../helper.js'
import { mayHoldNumber } from '../../src/plugins/errors.js'

t.test('a schema may hold a number when a number or integer type is anywhere in it, or a reference', async (t) => {
  t.equal(mayHoldNumber(undefined), false, 'no schema: params and querystring stay strings')
  t.equal(mayHoldNumber(Type.Object({ by: Type.String(), name: Type.Optional(Type.String()) })), false)
  t.equal(mayHoldNumber(Type.Object({ by: Type.Union([Type.Literal('location'), Type.Literal('type')]) })), false)
  t.equal(mayHoldNumber(Type.Object({ hours: Type.Integer({ minimum: 1 }) })), true)
  t.equal(mayHoldNumber(Type.Object({ limit: Type.Optional(Type.Number()) })), true)
  t.equal(mayHoldNumber(Type.Object({ id: Type.Union([Type.String(), Type.Integer()]) })), true, 'in a union')
  t.equal(mayHoldNumber({ type: 'object', properties: { x: { type: ['integer', 'null'] } } }), true, 'in a type list')
  t.equal(mayHoldNumber({ type: 'object', properties: { x: { $ref: 'Other#' } } }), true, 'a reference is not resolved: it may be one')
})

t.test('a number that is not finite is refused in params and querystring, on the routes that take numbers', async (t) => {
  const { app } = await build(t)
  const params = await app.inject({ url: '/api/ping/device/Infinity?hours=1' })
  t.equal(params.statusCode, 400)
  t.same(params.json(), { success: false, error: 'Invalid request: params/device_id must be a finite number' })
  const query = await app.inject({ url: '/api/ping/statistics?hours=1e400' })
  t.equal(query.statusCode, 400)
  t.same(query.json(), { success: false, error: 'Invalid request: querystring/hours must be a finite number' })
  t.equal((await app.inject({ url: '/api/ping/statistics?hours=1' })).statusCode, 200, 'a finite one passes')
  // HEAD routes are made from the GET's options: the check is there too (Infinity passes the bounds)
  const head = await app.inject({ method: 'HEAD', url: '/api/ping/statistics?hours=Infinity' })
  t.equal(head.statusCode, 400)
})
