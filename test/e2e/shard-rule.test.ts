import t from 'tap'
import { inShard, shardOf, splitShard } from '../../src/inventory/shard.js'
import { build } from '../helper.js'

t.test('the rule: device_id mod SHARD_COUNT', async (t) => {
  t.equal(shardOf(0, 3), 0)
  t.equal(shardOf(7, 3), 1)
  t.equal(shardOf('11', 3), 2, 'ids that arrive as strings (BIGINT) count by their value')
  t.equal(shardOf(9007199254740991n, 10), 1, 'up to the largest safe integer')
  t.equal(shardOf(null, 5), 0, 'a row without a usable id belongs to shard 0 (reported as skipped there only)')
  t.equal(shardOf('abc', 5), 0)
  t.equal(shardOf(-4, 5), 0)
  t.ok(inShard(12345, { index: 0, count: 1 }), 'one shard holds everything')

  const rows = Array.from({ length: 100 }, (_, i) => ({ id: i + 1 })).concat([{ id: null as any }])
  const parts = [0, 1, 2, 3].map((index) => splitShard(rows, { index, count: 4 }))
  t.same(parts.map((p) => p.rows.length), [26, 25, 25, 25], 'each row in exactly one shard')
  t.same(parts.map((p) => p.rows.length + p.otherShard), [101, 101, 101, 101], 'the rest counted as other shards')
  t.same(new Set(parts.flatMap((p) => p.rows.map((r) => r.id))).size, 101)
  t.same(splitShard(rows, { index: 0, count: 1 }), { rows, otherShard: 0 })
})

t.test('SHARD_INDEX must be below SHARD_COUNT: one clear line at start', async (t) => {
  await t.rejects(build(t, { SHARD_COUNT: '3', SHARD_INDEX: '3' }), { name: 'ConfigError', message: 'Invalid setting SHARD_INDEX="3": expected 0 to SHARD_COUNT - 1 = 2' })
  await t.rejects(build(t, { SHARD_COUNT: '0' }), { message: /^Invalid setting SHARD_COUNT="0": expected a whole number, >= 1/ })
  await t.rejects(build(t, { SHARD_INDEX: '-1' }), { message: /^Invalid setting SHARD_INDEX="-1"/ })
})

t.test('every answer says which shard answered', async (t) => {
  const { app } = await build(t, { SHARD_COUNT: '4', SHARD_INDEX: '2' })
  for (const url of ['/api/health', '/api/ping/service/status', '/api/ping/latest', '/api/ping/status', '/api/ping/nothing-here', '/api/ping/device/abc', '/metrics']) {
    const res = await app.inject({ url })
    t.equal(res.headers['x-mpm-shard'], '2/4', url)
  }
  const health = (await app.inject({ url: '/api/health' })).json()
  t.same(health.shard, { index: 2, count: 4, other_shard_rows: 0 })
  const status = (await app.inject({ url: '/api/ping/service/status' })).json()
  t.same(status.data.shard, { index: 2, count: 4, other_shard_rows: 0 })
  const metrics = (await app.inject({ url: '/metrics' })).body
  t.match(metrics, /^mpm_shard_info\{shard_index="2",shard_count="4"\} 1$/m)
})
