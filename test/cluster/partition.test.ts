import t from 'tap'
import { hash32 } from '../../src/cluster/hash.js'
import { partitionOf } from '../../src/cluster/partition.js'
import { rendezvousOwner, rendezvousTable } from '../../src/cluster/rendezvous.js'

const PINNED = [399, 351, 1005, 1007, 876]
const HASH_A = 444641715

t.test('the hash is pinned: a device never changes partition between releases', async (t) => {
  // values computed once from the function as written; a change here moves every device of every fleet
  t.same([1, 2, 3, 1000, 123456].map((id) => partitionOf(id, 1024)), PINNED)
  t.equal(hash32('a'), HASH_A)
})

t.test('devices spread evenly over the partitions', async (t) => {
  const counts = new Array(1024).fill(0)
  for (let id = 1; id <= 102_400; id++) counts[partitionOf(id, 1024)]++
  t.ok(Math.min(...counts) > 60 && Math.max(...counts) < 140, `100 per partition on average: ${Math.min(...counts)} to ${Math.max(...counts)}`)
})

t.test('rendezvous: balanced, independent of list order, a join moves about 1/N', async (t) => {
  const three = ['a:5000', 'b:5000', 'c:5000']
  const table = rendezvousTable(1024, three)
  for (const m of three) {
    const n = table.filter((o) => o === m).length
    t.ok(Math.abs(n - 1024 / 3) <= 0.15 * 1024 / 3, `${m} wins ${n} of 1024`)
  }
  t.same(rendezvousTable(1024, [...three].reverse()), table, 'the same winners whatever the order')
  const four = rendezvousTable(1024, [...three, 'd:5000'])
  const moved = four.filter((o, p) => o !== table[p])
  t.ok(moved.every((o) => o === 'd:5000'), 'a join moves partitions only to the new member')
  t.ok(moved.length > 1024 / 4 * 0.8 && moved.length < 1024 / 4 * 1.2, `about a quarter moved (${moved.length})`)
  const two = rendezvousTable(1024, ['a:5000', 'b:5000'])
  t.ok(two.every((o, p) => table[p] === 'c:5000' || o === table[p]), "a leave moves only the leaver's partitions")
  t.equal(rendezvousOwner(7, []), null)
})
