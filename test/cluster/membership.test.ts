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
  now = 21_900
  t.ok(m.live('b'), 'after our own outage a member alive before gets a whole lease from then to be seen renewing')
  now = 22_000
  t.notOk(m.live('b'), 'and is gone when it was not')
  m.update('b', 3, { leaving: false })
  t.ok(m.live('b'))
  m.remove('b')
  t.notOk(m.live('b'))
  t.equal(m.liveCount(), 0, 'a, gone before the reset, does not count either')
})

t.test('liveness is judged up to what the watch has delivered, not up to now', async (t) => {
  let now = 0
  let watched = 0
  const m = new Membership(10_000, () => now, () => watched)
  m.update('b', 1, { leaving: false })
  m.update('b', 2, { leaving: false })
  now = 30_000
  t.ok(m.live('b'), 'a watch that delivered nothing since (stalled) makes nobody look gone')
  watched = 9_999
  t.ok(m.live('b'))
  watched = 10_000
  t.notOk(m.live('b'), 'once it delivered our own renewals a lease past b\'s last, b is gone')
})
