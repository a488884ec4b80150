import t from 'tap'
import { planOwnership, pingsIn, decodeRecord, encodeRecord, type OwnerRecord, type ViewedRecord } from '../../src/cluster/ownership.js'
import { rendezvousTable } from '../../src/cluster/rendezvous.js'

// The ownership rules run by several simulated instances over one compare-and-set store, slot after
// slot, with joins, planned leaves and crashes: who pings each partition in each slot is counted.

const P = 64

class Store {
  readonly recs = new Map<number, ViewedRecord>()
  private rev = 0
  create (p: number, v: OwnerRecord): number | null {
    if (this.recs.has(p)) return null
    this.recs.set(p, { ...v, revision: ++this.rev })
    return this.rev
  }

  update (p: number, v: OwnerRecord, revision: number): number | null {
    if (this.recs.get(p)?.revision !== revision) return null
    this.recs.set(p, { ...v, revision: ++this.rev })
    return this.rev
  }
}

class Sim {
  readonly held = new Map<number, ViewedRecord>()
  leaving = false
  constructor (readonly id: string) {}

  /** what the watch brings: a newer record by another ends what we hold (as the coordinator does) */
  see (store: Store): void {
    for (const [p, mine] of this.held) {
      const rec = store.recs.get(p)
      if (rec === undefined || rec.revision <= mine.revision) continue
      if (rec.owner === this.id) this.held.set(p, rec)
      else {
        const until = Math.min(mine.until ?? Infinity, rec.from - 1)
        if (until < mine.from) this.held.delete(p)
        else this.held.set(p, { ...mine, until })
      }
    }
  }

  plan (store: Store, eligible: string[], live: Set<string>, slot: number): void {
    const winners = rendezvousTable(P, eligible)
    const actions = planOwnership({
      partitions: P,
      me: this.id,
      preferred: (p) => winners[p] ?? null,
      live: (m) => live.has(m),
      view: (p) => store.recs.get(p),
      held: (p) => this.held.get(p)?.revision === store.recs.get(p)?.revision && this.held.has(p),
      slot
    })
    for (const a of actions) {
      const rev = a.op === 'create' ? store.create(a.partition, a.value) : store.update(a.partition, a.value, a.revision)
      if (rev !== null) this.held.set(a.partition, { ...a.value, revision: rev })
    }
  }

  pings (p: number, s: number): boolean {
    const h = this.held.get(p)
    return h !== undefined && pingsIn(h, s)
  }
}

function run (script: (slot: number, sims: Map<string, Sim>, live: Set<string>) => void, slots: number): Array<Map<number, string[]>> {
  const store = new Store()
  const sims = new Map<string, Sim>()
  const live = new Set<string>()
  const bySlot: Array<Map<number, string[]>> = []
  for (let s = 0; s < slots; s++) {
    script(s, sims, live)
    // three planning rounds per slot (heartbeats), in a changing order
    for (let round = 0; round < 3; round++) {
      const order = [...sims.values()].filter((m) => live.has(m.id))
      if ((s + round) % 2 === 1) order.reverse()
      for (const m of order) {
        const eligible = [...live].filter((id) => !sims.get(id)!.leaving).sort()
        m.plan(store, eligible, live, s)
        for (const o of sims.values()) o.see(store)
      }
    }
    // the cycle of slot s+1 starts: who pings what
    const pinged = new Map<number, string[]>()
    for (let p = 0; p < P; p++) pinged.set(p, [...sims.values()].filter((m) => live.has(m.id) && m.pings(p, s + 1)).map((m) => m.id))
    bySlot[s + 1] = pinged
  }
  return bySlot
}

function count (bySlot: Array<Map<number, string[]>>, from: number, to: number): { misses: number, duplicates: number } {
  let misses = 0
  let duplicates = 0
  for (let s = from; s <= to; s++) {
    for (const owners of bySlot[s]!.values()) {
      if (owners.length === 0) misses++
      if (owners.length > 1) duplicates++
    }
  }
  return { misses, duplicates }
}

t.test('a cold start settles to one owner per partition; joins and planned leaves miss nothing and double nothing', async (t) => {
  const slots = run((s, sims, live) => {
    if (s === 0) for (const id of ['a', 'b', 'c']) { sims.set(id, new Sim(id)); live.add(id) }
    if (s === 10) { sims.set('d', new Sim('d')); live.add('d') }
    if (s === 20) sims.get('b')!.leaving = true
    if (s === 24) live.delete('b')
  }, 40)
  t.same(count(slots, 3, 40), { misses: 0, duplicates: 0 }, 'from the third slot on: every partition exactly once per slot')
  const owners = new Set([...slots[39]!.values()].flat())
  t.same([...owners].sort(), ['a', 'c', 'd'], 'the leaver owns nothing, the joiner its share')
})

t.test('a crash: the partitions are taken from the next slot once the owner counts as gone, never doubled', async (t) => {
  const slots = run((s, sims, live) => {
    if (s === 0) for (const id of ['a', 'b', 'c']) { sims.set(id, new Sim(id)); live.add(id) }
    // c stops at slot 10 (its pings end there) and counts as gone at slot 13 (the lease)
    if (s === 10) sims.get('c')!.held.clear()
    if (s === 13) live.delete('c')
  }, 25)
  const c = count(slots, 14, 25)
  t.same(c, { misses: 0, duplicates: 0 }, 'covered again from the slot after it counts as gone')
  t.equal(count(slots, 3, 25).duplicates, 0, 'never doubled')
})

t.test('records survive the round trip through the bucket; garbage is refused', async (t) => {
  const r: OwnerRecord = { owner: 'host:5000', from: 12, until: null }
  t.same(decodeRecord(encodeRecord(r)), r)
  t.same(decodeRecord(encodeRecord({ ...r, until: 14 })), { ...r, until: 14 })
  t.equal(decodeRecord('{"o":1}'), null)
  t.equal(decodeRecord('not json'), null)
})
