import t from 'tap'
import { Membership } from '../../src/cluster/membership.js'

t.test('liveness from revision changes on our own clock, not from a key being there', async (t) => {
  let now = 0
  const m = new Membership(10_000, () => now)
  m.update('dead', 5, { leaving: false })
  m.update('a', 7, { leaving: false })
  t.notOk(m.live('a'), 'a key seen once proves nothing (a crashed member keeps its key until the TTL)')
  now = 1000
  m.update('a', 9, { leaving: false })
  t.ok(m.live('a'), 'a renewal does')
  t.notOk(m.live('dead'))
  m.update('a', 8, { leaving: false })
  now = 11_500
  t.notOk(m.live('a'), 'an older revision renews nothing; a lease without change: gone')
  m.update('a', 10, { leaving: true })
  t.ok(m.live('a'))
  t.same(m.eligible(), [], 'a leaving member takes no partitions')
  m.update('b', 1, { leaving: false })
  now = 12_000
  m.update('b', 2, { leaving: false })
  t.same(m.eligible(), ['b'])
  m.resetView()
  t.notOk(m.live('b'), 'after our own outage nobody counts as alive before we see it renew')
  m.update('b', 3, { leaving: false })
  t.ok(m.live('b'))
  m.remove('b')
  t.notOk(m.live('b'))
  t.equal(m.liveCount(), 0, 'a, not seen renewing since the reset, does not count either')
})
