import t from 'tap'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import { Kvm, type KV } from '@nats-io/kv'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { leaderReads, openBuckets } from '../../src/cluster/cluster.js'
import { ClusterCoordinator, partitionKey, type OwnersLeader } from '../../src/cluster/coordinator.js'
import { decodeRecord, encodeRecord } from '../../src/cluster/ownership.js'
import { startNatsServer } from '../e2e/nats-cluster.js'
import { NETNS_SKIP, tempDir, waitFor } from '../helper.js'

// The race of the 3-node cluster test's NATS leader kill, made deterministic on one real nats-server:
// there, the killed node held the consumers of the instances' watches of both buckets, which the
// client makes again only after missed heartbeats (seconds, more than the lease), while puts and
// compare-and-sets went to the new leaders at once. Here each coordinator's watches pass through a
// valve the test closes and opens (what they hold back is delivered afterwards, in order, as an
// ordered consumer made again does); everything else is the real KV bucket.

// of this test's own (cluster-start: 14251, cluster-fleet: 15231, the 3-node cluster: 14222-14224)
const NATS_PORT = 14261
const INTERVAL_MS = 1000
const LEASE_MS = 2000
const PARTITIONS = 16

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const slotNow = (): number => Math.floor(Date.now() / INTERVAL_MS)
const quiet = { info () {}, warn () {}, error () {}, debug () {} } as any

interface Valve {
  closed: boolean
  /** puts fail (NATS out of reach) */
  failPuts?: boolean
  /** the owners stream has no leader (an election): the looks fail */
  noLeader?: boolean
}

/** the bucket, but its watches hold every entry back while the valve is closed */
function throughValve (kv: KV, valve: Valve): KV {
  return new Proxy(kv, {
    get (target, prop) {
      if (prop === 'put') {
        return async (...args: Parameters<KV['put']>) => {
          if (valve.failPuts === true) throw new Error('timeout')
          return await target.put(...args)
        }
      }
      if (prop === 'watch') {
        return async (opts: any) => {
          const w = await target.watch(opts)
          const gated = (async function * () {
            for await (const e of w) {
              while (valve.closed) await sleep(10)
              yield e
            }
          })()
          return Object.assign(gated, { stop: () => w.stop() })
        }
      }
      const v = Reflect.get(target, prop, target)
      return typeof v === 'function' ? v.bind(target) : v
    }
  })
}

function leaderless (reads: OwnersLeader, valve: Valve): OwnersLeader {
  const down = async (): Promise<never> => { await sleep(300); throw new Error('no leader') }
  return {
    lastSeq: async () => valve.noLeader === true ? await down() : await reads.lastSeq(),
    get: async (key) => valve.noLeader === true ? await down() : await reads.get(key)
  }
}

t.test('a coordinator never pings a partition in a slot another one pings', { skip: NETNS_SKIP }, async (t) => {
  const url = await startNatsServer(t, tempDir(t, 'mpm-race-'), NATS_PORT)
  const conns: NatsConnection[] = []
  t.teardown(async () => { for (const nc of conns) await nc.close() })
  let bucketNo = 0

  /** a coordinator on its own connection; its watches (both buckets) go through `valve` */
  const coordinator = async (me: string, prefix: string, valve: Valve): Promise<ClusterCoordinator> => {
    const nc = await connect({ servers: url })
    conns.push(nc)
    const js = jetstream(nc, { timeout: 1000 })
    const { members, owners } = await openBuckets(new Kvm(js), prefix, 1, LEASE_MS)
    const c = new ClusterCoordinator({
      me,
      partitions: PARTITIONS,
      leaseMs: LEASE_MS,
      intervalMs: INTERVAL_MS,
      onLoss: 'fence',
      buckets: { members: throughValve(members, valve), owners: throughValve(owners, valve), ownersLeader: leaderless(leaderReads(await jetstreamManager(nc), `${prefix}-owners`), valve) },
      log: quiet
    })
    t.teardown(() => c.stop())
    await c.start()
    return c
  }

  /** who pings each partition in slot s, asked just after s started (when a cycle asks) */
  const pingersIn = async (s: number, cs: ClusterCoordinator[]): Promise<Map<number, string[]>> => {
    const wait = s * INTERVAL_MS + 30 - Date.now()
    if (wait > 0) await sleep(wait)
    const out = new Map<number, string[]>()
    for (const c of cs) for (const p of c.ownedIn(s)) out.set(p, [...(out.get(p) ?? []), c.me])
    return out
  }

  /** until the partitions are split between a and d, each pinged once a slot, with no hand-over under way
   * (one whose taker's watch stalls would miss slots, which is not what these tests are about) */
  const settledSplit = async (a: ClusterCoordinator, d: ClusterCoordinator): Promise<void> => {
    await waitFor(async () => {
      const s = slotNow() + 1
      const who = await pingersIn(s, [a, d])
      const split = a.ownedIn(s).length > 0 && d.ownedIn(s).length > 0
      const settled = Array.from({ length: PARTITIONS }, (_, p) => a.heldRecord(p) ?? d.heldRecord(p)).every((h) => h?.until === null && h.from < s)
      return split && settled && who.size === PARTITIONS && [...who.values()].every((o) => o.length === 1) ? true : null
    }, 20_000, 'the partitions split between a and d, each pinged once a slot, no hand-over under way')
  }

  /** coordinators a and d on buckets of their own, their watches through one valve, once settledSplit */
  const settledPair = async (): Promise<{ valve: Valve, a: ClusterCoordinator, d: ClusterCoordinator }> => {
    const prefix = `race${bucketNo++}`
    const valve: Valve = { closed: false }
    const a = await coordinator('a', prefix, valve)
    const d = await coordinator('d', prefix, valve)
    await settledSplit(a, d)
    return { valve, a, d }
  }

  /** the partitions pinged by more than one instance in slot s, as p<partition>@<slot>:<who> */
  const duplicatesIn = (s: number, who: Map<number, string[]>): string[] =>
    [...who].filter(([, o]) => o.length > 1).map(([p, o]) => `p${p}@${s}:${o.join('+')}`)

  t.test('both instances\' watches of both buckets stall for 2.5 leases', async (t) => {
    const { valve, a, d } = await settledPair()

    valve.closed = true
    const from = slotNow() + 1
    const to = from + Math.ceil(2.5 * LEASE_MS / INTERVAL_MS)
    const duplicates: string[] = []
    const missed = new Map<number, number>()
    const missedIn = new Map<number, number>()
    for (let s = from; s <= to + 3; s++) {
      if (s === to) valve.closed = false
      const who = await pingersIn(s, [a, d])
      duplicates.push(...duplicatesIn(s, who))
      for (let p = 0; p < PARTITIONS; p++) {
        if (!who.has(p)) {
          missed.set(p, (missed.get(p) ?? 0) + 1)
          missedIn.set(s, (missedIn.get(s) ?? 0) + 1)
        }
      }
    }
    t.same(duplicates, [], `no partition pinged by both in a slot (slots ${from}-${to + 3}, the watches held back in ${from}-${to - 1})`)
    t.ok([...missed.values()].every((n) => n <= 1), `at most one missed slot per partition (per slot: ${[...missedIn].map(([s, n]) => `${s}:${n}`).join(' ')})`)
  })

  t.test('both fence (their puts fail for more than 0.6 x the lease); the watches come back a lease after the puts', async (t) => {
    const { valve, a, d } = await settledPair()
    valve.closed = true
    valve.failPuts = true
    const from = slotNow() + 1
    const duplicates: string[] = []
    let fenced = 0
    for (let s = from; s <= from + 7; s++) {
      if (s === from + 2) valve.failPuts = false
      if (s === from + 4) valve.closed = false
      const who = await pingersIn(s, [a, d])
      if (a.status().fenced && d.status().fenced) fenced++
      duplicates.push(...duplicatesIn(s, who))
    }
    t.ok(fenced > 0, `both fenced (in ${fenced} slots)`)
    t.same(duplicates, [], `no partition pinged by both in a slot (slots ${from}-${from + 7})`)
    const s = slotNow() + 1
    const who = await pingersIn(s, [a, d])
    t.equal(who.size, PARTITIONS, 'every partition pinged again afterwards')
  })

  t.test('a partition taken over while the owner\'s watch stalls is not pinged by the owner from the taker\'s slot', async (t) => {
    const prefix = `race${bucketNo++}`
    const valve: Valve = { closed: false }
    const d = await coordinator('d', prefix, valve)
    await waitFor(async () => (await pingersIn(slotNow() + 1, [d])).size === PARTITIONS ? true : null, 20_000, 'd pings every partition')

    // another instance takes p3 over by compare-and-set (as one that judged d gone would) while d's watch is held back
    valve.closed = true
    const nc = await connect({ servers: url })
    conns.push(nc)
    const owners = await new Kvm(jetstream(nc)).open(`${prefix}-owners`)
    const e = await owners.get(partitionKey(3))
    const rec = e === null ? null : decodeRecord(e.string())
    t.equal(rec?.owner, 'd', 'd owned p3')
    // from a slot whose look (200 ms ahead here) d sends after the write
    const taken = Math.floor((Date.now() + 300) / INTERVAL_MS) + 1
    await owners.update(partitionKey(3), encodeRecord({ owner: 'x', from: taken, until: null }), e!.revision)
    const who = await pingersIn(taken, [d])
    valve.closed = false
    t.notOk(who.has(3), `d does not ping p3 in ${taken}, the first slot of x`)
    t.equal(who.size, PARTITIONS - 1, 'and pings the partitions it still holds')
    // x is no member (it never renews a presence key): d may take p3 back, by a claim of its own from a later slot
    await pingersIn(taken + 2, [d])
    const again = d.heldRecord(3)
    t.ok(again === undefined || again.from > taken, `d holds p3 again only by a new claim (${JSON.stringify(again)})`)
  })

  t.test('when the look before a slot fails, one slot is pinged on the presence lease, the next not', async (t) => {
    const prefix = `race${bucketNo++}`
    const valve: Valve = { closed: false }
    const d = await coordinator('d', prefix, valve)
    await waitFor(async () => (await pingersIn(slotNow() + 1, [d])).size === PARTITIONS ? true : null, 20_000, 'd pings every partition')
    // from the look for the slot after next (the one for the next may be under way)
    const first = slotNow() + 2
    await sleep(first * INTERVAL_MS - 600 - Date.now())
    valve.noLeader = true
    const counts: number[] = []
    for (let s = first; s < first + 2; s++) counts.push((await pingersIn(s, [d])).size)
    valve.noLeader = false
    await sleep(200)
    const s = slotNow() + 1
    counts.push((await pingersIn(s, [d])).size)
    t.same(counts, [PARTITIONS, 0, PARTITIONS], `slots ${first}-${s}: on the lease, skipped, confirmed again`)
  })
})
