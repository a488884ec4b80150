import t from 'tap'
import { RingSlab } from '../../src/history/ring-slab.js'
import { DeviceSeries, FAIL } from '../../src/history/device-series.js'
import { HistoryStore } from '../../src/history/history-store.js'

// The devices' rings share chunks of a RingSlab: the slots never overlap, a released slot is handed
// out again, a chunk whose slots are all released is dropped, and rings that grow and wrap in shared
// chunks keep exactly their own results.

t.test('slots of one size never overlap, and each keeps what was written to it', async (t) => {
  const slab = new RingSlab()
  const ids = Array.from({ length: 5000 }, () => slab.alloc(16))
  t.equal(new Set(ids).size, ids.length, 'distinct ids')
  for (const [k, id] of ids.entries()) slab.chunk(16, id).fill(k + 1, slab.base(16, id), slab.base(16, id) + 16)
  let wrong = 0
  for (const [k, id] of ids.entries()) {
    const c = slab.chunk(16, id)
    const b = slab.base(16, id)
    for (let w = 0; w < 16; w++) if (c[b + w] !== k + 1) wrong++
  }
  t.equal(wrong, 0, 'every word of every slot as its owner wrote it')
  // chunks double from 16 slots up to 256 KB: at most the last chunk's part is unused
  t.ok(slab.bytes() >= 5000 * 64 && slab.bytes() <= 5000 * 64 + 256 * 1024, `${slab.bytes()} bytes of chunks for ${5000 * 64} bytes of slots`)
})

t.test('a released slot is handed out again; a chunk with every slot released is dropped', async (t) => {
  const slab = new RingSlab()
  const a = slab.alloc(16)
  const b = slab.alloc(16)
  slab.release(16, a)
  t.equal(slab.alloc(16), a, 'the released slot, again')
  const held = slab.bytes()
  slab.release(16, a)
  slab.release(16, b)
  t.equal(slab.bytes(), 0, `the chunk is dropped (it was ${held} bytes)`)
  const c = slab.alloc(16)
  t.equal(slab.chunk(16, c)[slab.base(16, c)], 0, 'a new chunk after that, zeroed')
  // many sizes at once, as a fleet's rings grow out of the small ones
  const small = Array.from({ length: 3000 }, () => slab.alloc(16))
  const large = small.map(() => slab.alloc(64))
  for (const id of small) slab.release(16, id)
  slab.release(16, c)
  t.equal(slab.bytes(), large.length > 0 ? slabBytesOf(slab, 64, large) : 0, 'only the larger slots\' chunks are left')
})

/** the chunks' bytes behind `ids` of one size */
function slabBytesOf (slab: RingSlab, words: number, ids: number[]): number {
  return [...new Set(ids.map((id) => slab.chunk(words, id)))].reduce((n, c) => n + c.byteLength, 0)
}

t.test('rings in one slab grow (by 4) and wrap independently; each reads back exactly its own results', async (t) => {
  const slab = new RingSlab()
  const rings = Array.from({ length: 300 }, () => new DeviceSeries(100, 8, slab))
  // ring k gets k % 130 results: some stay in their first slot, some grow, some wrap at maxCap
  for (let step = 0; step < 130; step++) {
    for (const [k, s] of rings.entries()) if (step < k % 130) s.push(step * 10 + k, step % 2 === 0 ? k : FAIL, step % 2 === 0 ? 0 : 1 + (k % 200), 'ip', 'h')
  }
  let wrong = 0
  for (const [k, s] of rings.entries()) {
    const n = k % 130
    const kept = Math.min(n, 100)
    if (s.len !== kept) wrong++
    for (let i = 0; i < s.len; i++) {
      const step = n - kept + i
      const p = s.slot(i)
      if (s.timeAt(p) !== step * 10 + k || s.rttAt(p) !== (step % 2 === 0 ? k : FAIL) || s.errAt(p) !== (step % 2 === 0 ? 0 : 1 + (k % 200))) wrong++
    }
  }
  t.equal(wrong, 0, 'every ring: its own results, oldest first, the newest 100 at most')
  t.same([...new Set(rings.map((s) => s.cap))].sort((a, b) => a - b), [8, 32, 100], 'capacities 8, by 4, up to maxCap')
})

t.test('a store forgets a device: its ring goes back to the slab', async (t) => {
  const store = new HistoryStore({ hours: 1 / 60, intervalSeconds: 5 })
  const T0 = Date.parse('2026-01-05T00:00:00Z')
  for (let i = 0; i < 10; i++) {
    for (let id = 1; id <= 1000; id++) {
      store.add({ timestamp: '', device_id: id, ip_address: 'x', hostname: 'y', ping_success: true, response_time_ms: 1, error_message: '' }, T0 + i * 5000)
    }
  }
  const slab = (store as any).slab as RingSlab
  const held = slab.bytes()
  t.ok(held >= 1000 * 32 * 8, `${held} bytes for 1,000 rings of 32 results`)
  // only device 1 goes on; long after the window and the margin, a sweep forgets the others
  const later = T0 + 60 * 60_000
  store.add({ timestamp: '', device_id: 1, ip_address: 'x', hostname: 'y', ping_success: true, response_time_ms: 1, error_message: '' }, later)
  store.sweep(later)
  t.equal(store.counts().devices, 1)
  t.ok(slab.bytes() < held / 10, `${slab.bytes()} bytes left of ${held}`)
})
