import { performance } from 'node:perf_hooks'
import type { KV } from '@nats-io/kv'
import type { Log } from '../lib/log.js'
import { Membership } from './membership.js'
import { decodeRecord, encodeRecord, pingsIn, planOwnership, type OwnerRecord, type OwnershipAction, type ViewedRecord } from './ownership.js'
import { rendezvousTable } from './rendezvous.js'

/** The two KV buckets the coordinator works on (opened by the caller; fakes in unit tests). */
export interface ClusterBuckets {
  members: KV
  owners: KV
}

export interface CoordinatorOptions {
  me: string
  partitions: number
  leaseMs: number
  intervalMs: number
  /** fence: stop pinging when NATS is out of reach for fenceMs; keep: go on with what is held */
  onLoss: 'fence' | 'keep'
  buckets: ClusterBuckets
  log: Log
  /** monotonic time (lease and fence) */
  monotonic?: () => number
  /** wall-clock time (cycle slots, the same on every host) */
  now?: () => number
}

export interface CoordinatorStatus {
  instance_id: string
  members: string[]
  partitions: number
  /** partitions this instance pings in the current slot */
  partitions_owned: number
  fenced: boolean
  /** why this instance does not ping (null when it does) */
  fenced_reason: string | null
  /** seconds since NATS last confirmed our presence */
  last_contact_s: number | null
  leaving: boolean
  handovers: number
  takeovers: number
  fence_count: number
}

/** heartbeats to wait (at start, after a fence) before claiming: each live member renews its key meanwhile */
const SETTLE_HEARTBEATS = 3
/** at most this many compare-and-set requests in flight at once */
const CAS_CONCURRENCY = 64

/** member ids may hold ':' (hostname:port), which KV keys may not: keys are the id in hex */
export function memberKey (id: string): string {
  return 'm' + Buffer.from(id, 'utf8').toString('hex')
}
function memberOfKey (key: string): string | null {
  return key.startsWith('m') ? Buffer.from(key.slice(1), 'hex').toString('utf8') : null
}
export function partitionKey (p: number): string {
  return `p${p}`
}
function partitionOfKey (key: string): number | null {
  const m = /^p(\d+)$/.exec(key)
  return m === null ? null : Number(m[1])
}

/**
 * One instance's part in the cluster: announces itself (presence put every heartbeat), follows the
 * members and the owners buckets, claims and releases partitions by compare-and-set, and answers
 * which partitions it pings in a cycle slot. It fences itself (pings nothing) when NATS has not
 * confirmed its presence for 0.6 x the lease, so that it stops before the others (who wait a whole
 * lease on their own clocks) take its partitions over.
 */
export class ClusterCoordinator {
  readonly membership: Membership
  private readonly view = new Map<number, ViewedRecord>()
  /** records this instance holds through its own compare-and-set */
  private readonly held = new Map<number, ViewedRecord>()
  private readonly monotonic: () => number
  private readonly now: () => number
  private readonly fenceMs: number
  private readonly heartbeatMs: number
  private lastAck: number | null = null
  private fenced = false
  /** after a fence: held records are checked against the bucket before any of them is pinged again */
  private suspect = false
  private fenceCount = 0
  private handovers = 0
  private takeovers = 0
  private leaving = false
  private stopped = false
  private timer: NodeJS.Timeout | null = null
  private planning: Promise<void> | null = null
  private readonly watches: Array<{ stop: () => void }> = []
  private table: { key: string, winners: Array<string | null> } = { key: '', winners: [] }
  /** no claim before the members already running were seen (a cold start would otherwise take everything) */
  private claimAfter = 0
  /** the last slot whose cycle has finished here */
  private doneSlot = -1

  constructor (private readonly opts: CoordinatorOptions) {
    this.monotonic = opts.monotonic ?? (() => performance.now())
    this.now = opts.now ?? Date.now
    this.fenceMs = opts.leaseMs * 0.6
    this.heartbeatMs = Math.max(200, Math.min(1000, opts.leaseMs / 10))
    this.membership = new Membership(opts.leaseMs, this.monotonic)
  }

  get me (): string {
    return this.opts.me
  }

  /** the slot of the cycle that starts (or started) at slot x interval on the wall clock */
  slotNow (): number {
    return Math.floor(this.now() / this.opts.intervalMs)
  }

  /** Follows both buckets, announces itself and starts the heartbeat. */
  async start (): Promise<void> {
    const { members, owners } = this.opts.buckets
    const mw = await members.watch({ key: '>' })
    this.watches.push(mw)
    ;(async () => {
      for await (const e of mw) {
        const id = memberOfKey(e.key)
        if (id === null) continue
        if (e.operation === 'PUT') {
          let leaving = false
          try { leaving = e.json<{ leaving?: boolean }>().leaving === true } catch {}
          this.membership.update(id, e.revision, { leaving })
        } else this.membership.remove(id)
      }
    })().catch((err) => this.opts.log.warn({ err: err?.message }, 'cluster: members watch ended'))
    const ow = await owners.watch({ key: '>' })
    this.watches.push(ow)
    ;(async () => {
      for await (const e of ow) {
        const p = partitionOfKey(e.key)
        if (p === null || p >= this.opts.partitions) continue
        if (e.operation === 'PUT') {
          const rec = decodeRecord(e.string())
          if (rec !== null) this.seen(p, { ...rec, revision: e.revision })
        } else {
          this.view.delete(p)
          this.held.delete(p)
        }
      }
    })().catch((err) => this.opts.log.warn({ err: err?.message }, 'cluster: owners watch ended'))
    await this.heartbeat()
    // the watches have delivered the members and the owners already there, and each live member renewed its key
    this.claimAfter = this.monotonic() + SETTLE_HEARTBEATS * this.heartbeatMs
    this.tick()
  }

  /** A record as the bucket holds it now: a newer one by someone else ends what we hold. */
  private seen (p: number, rec: ViewedRecord): void {
    const prev = this.view.get(p)
    if (prev !== undefined && prev.revision >= rec.revision) return
    this.view.set(p, rec)
    const mine = this.held.get(p)
    if (mine !== undefined && rec.revision > mine.revision) {
      if (rec.owner === this.me) this.held.set(p, rec)
      else {
        // taken by another: we ping at most up to the slot before theirs
        const until = Math.min(mine.until ?? Infinity, rec.from - 1)
        if (until < mine.from) this.held.delete(p)
        else this.held.set(p, { ...mine, until })
      }
    }
  }

  private tick (): void {
    if (this.stopped) return
    this.timer = setTimeout(() => {
      this.timer = null
      this.heartbeat().then(() => this.plan()).catch(() => {}).finally(() => this.tick())
    }, this.heartbeatMs)
  }

  private async heartbeat (): Promise<void> {
    try {
      await this.opts.buckets.members.put(memberKey(this.me), JSON.stringify({ id: this.me, leaving: this.leaving }))
      const wasFenced = this.checkFence()
      this.lastAck = this.monotonic()
      if (wasFenced) {
        this.fenced = false
        // what we saw while cut off is stale: nobody is judged gone until the view is fresh again
        this.membership.resetView()
        // no claim before the live members were seen renewing again (nobody counts as gone meanwhile)
        this.claimAfter = this.monotonic() + SETTLE_HEARTBEATS * this.heartbeatMs
        const kept = await this.revalidate()
        this.opts.log.warn({ instance_id: this.me, partitions_kept: kept }, 'cluster: NATS reachable again; partitions nobody took meanwhile are kept, the others claimed again by compare-and-set')
      }
    } catch (err: any) {
      this.checkFence()
      this.opts.log.debug?.({ err: err?.message }, 'cluster: presence renewal failed')
    }
  }

  /** Fences this instance when NATS has not answered for fenceMs; answers whether it is fenced. */
  private checkFence (): boolean {
    const since = this.lastAck
    if (since !== null && this.monotonic() - since > this.fenceMs && !this.fenced) {
      this.fenced = true
      this.fenceCount++
      if (this.opts.onLoss === 'fence') {
        // nothing held is pinged again before the bucket confirms that nobody took it meanwhile
        this.suspect = true
        this.opts.log.error({ instance_id: this.me, no_contact_s: Math.round((this.monotonic() - since) / 100) / 10 }, 'cluster: NATS out of reach; fenced: pinging nothing until it answers again')
      } else {
        this.opts.log.error({ instance_id: this.me }, 'cluster: NATS out of reach; CLUSTER_ON_NATS_LOSS=keep: going on pinging the partitions held (they may be pinged twice)')
      }
    }
    return this.fenced
  }

  /**
   * After a fence: each held record is read back from the bucket; one whose revision is still ours is
   * kept (a short NATS outage costs no hand-over), one that changed ends as any record taken by another.
   * Answers how many were kept.
   */
  private async revalidate (): Promise<number> {
    const { owners } = this.opts.buckets
    const list = [...this.held.entries()]
    try {
      for (let i = 0; i < list.length; i += CAS_CONCURRENCY) {
        await Promise.all(list.slice(i, i + CAS_CONCURRENCY).map(async ([p, mine]) => {
          const e = await owners.get(partitionKey(p))
          const rec = e === null || e.operation !== 'PUT' ? null : decodeRecord(e.string())
          if (e === null || rec === null) this.held.delete(p)
          else if (e.revision !== mine.revision) this.seen(p, { ...rec, revision: e.revision })
        }))
      }
    } catch {
      // not sure of any: each is confirmed by compare-and-set again
      this.held.clear()
    }
    this.suspect = false
    return [...this.held.values()].filter((h) => h.until === null).length
  }

  private eligible (): string[] {
    const list = this.membership.eligible().filter((m) => m !== this.me)
    if (!this.leaving && !this.fenced) list.push(this.me)
    return list.sort()
  }

  private winners (): Array<string | null> {
    const members = this.eligible()
    const key = members.join('\n')
    if (key !== this.table.key) this.table = { key, winners: rendezvousTable(this.opts.partitions, members) }
    return this.table.winners
  }

  /** One round of claims and releases (never two at once). */
  plan (): Promise<void> {
    this.planning ??= this.planOnce().finally(() => { this.planning = null })
    return this.planning
  }

  private async planOnce (): Promise<void> {
    if (this.stopped || this.checkFence() || this.monotonic() < this.claimAfter) return
    const winners = this.winners()
    const actions = planOwnership({
      partitions: this.opts.partitions,
      me: this.me,
      preferred: (p) => winners[p] ?? null,
      live: (m) => m === this.me ? !this.fenced : this.membership.live(m),
      view: (p) => this.view.get(p),
      held: (p) => {
        const h = this.held.get(p)
        return h !== undefined && h.revision === this.view.get(p)?.revision
      },
      slot: this.slotNow()
    })
    for (let i = 0; i < actions.length; i += CAS_CONCURRENCY) {
      await Promise.all(actions.slice(i, i + CAS_CONCURRENCY).map((a) => this.apply(a)))
      if (this.stopped) return
    }
  }

  private async apply (a: OwnershipAction): Promise<void> {
    const { owners } = this.opts.buckets
    const key = partitionKey(a.partition)
    const before = this.view.get(a.partition)
    try {
      const data = encodeRecord(a.value)
      const revision = a.op === 'create' ? await owners.create(key, data) : await owners.update(key, data, a.revision)
      const rec: ViewedRecord = { ...a.value, revision }
      this.held.set(a.partition, rec)
      this.seen(a.partition, rec)
      if (a.value.until !== null) this.handovers++
      else if (before !== undefined && before.owner !== this.me) this.takeovers++
    } catch {
      // another instance won (or NATS did not answer): read what is there now
      try {
        const e = await owners.get(key)
        if (e !== null && e.operation === 'PUT') {
          const rec = decodeRecord(e.string())
          if (rec !== null) this.seen(a.partition, { ...rec, revision: e.revision })
        }
      } catch {}
    }
  }

  /** Whether this instance pings partition p in slot s. */
  pings (p: number, s: number): boolean {
    if ((this.checkFence() || this.suspect) && this.opts.onLoss === 'fence') return false
    const h = this.held.get(p)
    return h !== undefined && pingsIn(h, s)
  }

  /** The partitions pinged here in slot s. */
  ownedIn (s: number): number[] {
    const out: number[] = []
    for (const p of this.held.keys()) if (this.pings(p, s)) out.push(p)
    return out.sort((a, b) => a - b)
  }

  /** The cycle of slot s finished here (what a planned stop waits for). */
  cycleDone (s: number): void {
    this.doneSlot = Math.max(this.doneSlot, s)
  }

  /**
   * Planned stop: says it is leaving (the others stop counting it as a candidate), lets go of each
   * partition one slot ahead and goes on pinging until then, so the takers start right after.
   * Resolves when the last slot it pings is done (or after maxWaitMs).
   */
  async drain (maxWaitMs: number): Promise<void> {
    if (this.stopped || this.leaving) return
    this.leaving = true
    await this.heartbeat()
    // a plan that started before we said we leave may still be running
    await this.planning
    this.claimAfter = 0
    // the last one standing has nobody to hand over to
    if (this.fenced || this.eligible().length === 0) return
    await this.plan()
    const lastSlot = (): number | null => {
      let l = -1
      for (const h of this.held.values()) {
        if (h.until === null) return null
        l = Math.max(l, h.until)
      }
      return l
    }
    const deadline = this.monotonic() + maxWaitMs
    let last = lastSlot()
    while (this.monotonic() < deadline && (last === null || this.doneSlot < last)) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      // a release that failed (NATS did not answer): try again
      if (last === null) await this.plan()
      last = lastSlot()
    }
    this.opts.log.info({ instance_id: this.me, last_slot: last, done_slot: this.doneSlot }, 'cluster: partitions handed over')
  }

  /** Stops the heartbeat and the watches; removes the presence key (the others see us leave at once). */
  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    if (this.timer !== null) clearTimeout(this.timer)
    await this.planning
    for (const w of this.watches) w.stop()
    try { await this.opts.buckets.members.delete(memberKey(this.me)) } catch {}
  }

  status (): CoordinatorStatus {
    const fenced = this.checkFence() && this.opts.onLoss === 'fence'
    const since = this.lastAck
    let reason: string | null = null
    if (since === null) reason = 'not yet announced to NATS'
    else if (fenced) reason = `no answer from NATS for ${Math.round((this.monotonic() - since) / 1000)} s (more than 0.6 x CLUSTER_LEASE): pinging nothing so that no device is pinged twice`
    else if (this.leaving) reason = 'leaving: partitions handed over'
    return {
      instance_id: this.me,
      members: this.eligible(),
      partitions: this.opts.partitions,
      partitions_owned: this.ownedIn(this.slotNow()).length,
      fenced,
      fenced_reason: reason,
      last_contact_s: since === null ? null : Math.round((this.monotonic() - since) / 100) / 10,
      leaving: this.leaving,
      handovers: this.handovers,
      takeovers: this.takeovers,
      fence_count: this.fenceCount
    }
  }

  /** the record held for p (tests) */
  heldRecord (p: number): OwnerRecord | undefined {
    return this.held.get(p)
  }
}
