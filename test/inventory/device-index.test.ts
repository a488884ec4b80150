import t from 'tap'
import fc from 'fast-check'
import { DeviceIndex, IdSlots } from '../../src/inventory/device-index.js'
import { makeDevice } from '../../src/inventory/filter-inventory.js'

const devices = (ids: number[]) => ids.map((id) => makeDevice({ device_id: id, ip_address: `10.0.0.${id % 250}`, hostname: `h${id}`, family: 4 }))

t.test('a sorted list: every id at its position, absent ids -1, in any order of lookups', async (t) => {
  const list = devices([2, 5, 9, 10, 400, 2 ** 40])
  const index = new DeviceIndex(list)
  t.equal(index.size, 6)
  t.same(list.map((d) => index.indexOf(d.device_id)), [0, 1, 2, 3, 4, 5], 'in list order (the cycle order)')
  t.same([400, 2, 2 ** 40, 9, 5, 10].map((id) => index.indexOf(id)), [4, 0, 5, 2, 1, 3], 'out of order')
  t.same([0, 1, 3, 11, 401, 2 ** 41, -1, 2.5].map((id) => index.indexOf(id)), [-1, -1, -1, -1, -1, -1, -1, -1], 'absent')
  t.equal(index.indexOf(9), 2, 'found after misses')
  t.equal(index.has(10), true)
  t.equal(index.has(11), false)
  t.equal(new DeviceIndex([]).indexOf(1), -1, 'empty list')
})

t.test('an unsorted list or one with an id twice answers as a Map of the list would', async (t) => {
  const list = devices([9, 2, 5, 2])
  const index = new DeviceIndex(list)
  t.same([9, 2, 5, 7].map((id) => index.indexOf(id)), [0, 3, 2, -1], 'the last of a repeated id, as Map construction keeps it')
})

t.test('the same answers as a Map, for any list and any lookups', async (t) => {
  fc.assert(fc.property(
    fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 60 }),
    fc.boolean(),
    fc.array(fc.integer({ min: -2, max: 205 }), { maxLength: 100 }),
    (ids, sort, lookups) => {
      const list = devices(sort ? [...new Set(ids)].sort((a, b) => a - b) : ids)
      const index = new DeviceIndex(list)
      const map = new Map(list.map((d, i) => [d.device_id, i]))
      // the cycle's order first (the hint), then arbitrary lookups
      for (const d of list) if (index.indexOf(d.device_id) !== map.get(d.device_id)) return false
      return lookups.every((id) => index.indexOf(id) === (map.get(id) ?? -1))
    }
  ), { numRuns: 500 })
})

t.test('IdSlots answers as a Map would, for small, large, negative and fractional ids, through sets and deletes', async (t) => {
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.boolean(), fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: -5, max: 2 ** 40 }), fc.double({ min: 0, max: 100, noNaN: true })), fc.nat(1000)), { maxLength: 300 }),
    (ops) => {
      const slots = new IdSlots()
      const map = new Map<number, number>()
      for (const [del, id, slot] of ops) {
        if (del) { slots.delete(id); map.delete(id) } else { slots.set(id, slot); map.set(id, slot) }
        if (slots.get(id) !== (map.get(id) ?? -1)) return false
      }
      if (slots.size !== map.size) return false
      const entries = [...slots.entries()].sort((a, b) => a[0] - b[0])
      return JSON.stringify(entries) === JSON.stringify([...map.entries()].sort((a, b) => a[0] - b[0])) && [...map.keys()].every((id) => slots.get(id) === map.get(id))
    }
  ), { numRuns: 300 })
  const dense = new IdSlots()
  for (let id = 1; id <= 50_000; id++) dense.set(id, id - 1)
  t.equal(dense.get(50_000), 49_999)
  t.equal(dense.get(50_001), -1)
  t.equal(dense.size, 50_000)
})
