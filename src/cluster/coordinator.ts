import { performance } from 'node:perf_hooks'
import type { KV } from '@nats-io/kv'
import type { Log } from '../lib/log.js'
import { Membership } from './membership.js'
import { decodeRecord, encodeRecord, pingsIn, planOwnership, type OwnerRecord, type OwnershipAction, type ViewedRecord } from './ownership.js'
import { rendezvousTable } from './rendezvous.js'

/** The two KV buckets the coordinator works on (opened by the caller). */
export interface ClusterBuckets {
  members: KV
  owners: KV
  /**
   * Reads of the owners bucket answered by its stream's leader, so that they reflect every write
   * acknowledged before they were sent (a KV get may be answered by a replica that lags behind).
   */
  ownersLeader: OwnersLeader
}

export interface OwnersLeader {
  /** the sequence number of the stream's last write */
  lastSeq: () => Promise<number>
  /** a key's last write (null: none, or deleted) */
  get: (key: string) => Promise<{ revision: number, value: string } | null>
}

/** A record this instance holds through its own compare-and-set. */
interface HeldRecord extends ViewedRecord {
  /**
   * When (wall clock) the compare-and-set that took the partition from an owner that had not let go
   * (one judged gone), or created its key, was acknowledged: it counts for a slot only if it was
   * written before that owner's last look at the bucket for the slot (see look()). -Infinity: taken
   * after its owner let go (it pings up to its `until` and no further, whatever it sees).
   */
  claimedAt: number
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
  private readonly held = new Map<number, HeldRecord>()
  /** the highest revision the owners watch has delivered */
  private ownersSeq = 0
  private readonly ownersSeqWaiters: Array<() => void> = []
  /** when (wall clock) the last look at the bucket that confirmed what we hold was sent (see look()) */
  private confirmedAt = -Infinity
  /** when (wall clock) the last fence ended */
  private fenceEndedAt = -Infinity
  private lookTimer: NodeJS.Timeout | null = null
  /** how long before a slot starts the look for it is sent */
  private readonly lookAheadMs: number
  /** a claim over an owner that had not let go counts for a slot acknowledged this long before it (the look ahead + clock skew) */
  private readonly claimMarginMs: number
  /** our own presence puts acknowledged, not yet seen come back through the members watch */
  private ownPuts: Array<{ revision: number, sentAt: number }> = []
  private ownSeenRevision = 0
  /**
   * The send time (monotonic) of our latest presence put that the members watch has delivered: the
   * watch has shown every renewal made before it. Liveness is judged up to this time, not up to now,
   * so that a watch that stalls (its consumer was on a NATS node that died) makes nobody look gone.
   */
  private watchedUpTo = -Infinity
  private ownDelivered: Array<() => void> = []
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
    this.lookAheadMs = Math.min(1000, opts.intervalMs / 5)
    this.claimMarginMs = this.lookAheadMs + Math.min(250, opts.intervalMs / 20)
    this.membership = new Membership(opts.leaseMs, this.monotonic, () => this.watchedUpTo)
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
        if (id === this.me) this.ownSeen(e.revision)
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
        this.ownersSeq = Math.max(this.ownersSeq, e.revision)
        for (const w of this.ownersSeqWaiters.splice(0)) w()
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
    this.scheduleLook()
  }

  /** the wall-clock time slot s starts */
  private slotStart (s: number): number {
    return s * this.opts.intervalMs
  }

  private scheduleLook (at?: number): void {
    if (this.stopped) return
    const due = at ?? this.slotStart(Math.floor((this.now() + this.lookAheadMs) / this.opts.intervalMs) + 1) - this.lookAheadMs
    this.lookTimer = setTimeout(() => {
      this.lookTimer = null
      // a timer may fire a millisecond early (Date.now() and the timers' clock differ): a look sent
      // before start(s) - lookAhead would not count for s
      if (this.now() < due) this.scheduleLook(due)
      else this.look().catch(() => {}).finally(() => this.scheduleLook())
    }, Math.max(0, due - this.now()))
  }

  /**
   * Just before each slot, a look at the owners bucket that confirms what this instance holds for it.
   * Why: another instance may take a partition over while our owners watch does not show it (in the
   * NATS leader kill of test/e2e/cluster.alone.test.ts the watches' consumers were lost on the dead
   * node for longer than the lease); without this look we went on pinging what we held, and the
   * partition was pinged twice in a slot.
   * The look is sent at or after start(s) - lookAhead and reads the stream's leader, so it reflects
   * every record written before then; a taker's claim counts for s only if it was acknowledged (so
   * written) by start(s) - claimMargin, earlier than that. So of a taker and the owner it takes from,
   * at most one pings s. Resolves when the look succeeded.
   */
  private async look (): Promise<void> {
    const sentAt = this.now()
    const { ownersLeader } = this.opts.buckets
    if (this.held.size > 0) {
      const last = await ownersLeader.lastSeq()
      // usually the watch is only behind by what is on its way: let it arrive
      const deadline = Date.now() + Math.min(250, this.lookAheadMs / 2)
      while (this.ownersSeq < last && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()))
          this.ownersSeqWaiters.push(() => { clearTimeout(timer); resolve() })
        })
      }
      if (this.ownersSeq < last) {
        // the watch stalls (its consumer is made again after missed heartbeats): each held key from the leader
        await Promise.all([...this.held.keys()].map(async (p) => {
          const e = await ownersLeader.get(partitionKey(p))
          const rec = e === null ? null : decodeRecord(e.value)
          if (e === null || rec === null) {
            this.held.delete(p)
            this.view.delete(p)
          } else this.seen(p, { ...rec, revision: e.revision })
        }))
      }
    }
    this.confirmedAt = Math.max(this.confirmedAt, sentAt)
  }

  /**
   * Whether what we hold is confirmed for slot s: by the look for s; or, when that look failed or is
   * late (a JetStream leader election takes seconds), for one slot by the look for s - 1 and the
   * presence lease: not fenced, and no fence since that look. Then nobody can have judged us gone
   * (liveness is judged in the members stream's order, and our renewals were written less than
   * 0.6 + 0.35 lease apart), so nobody took a partition from us; only a look can show more.
   */
  private confirmedFor (s: number): boolean {
    if (this.confirmedAt >= this.slotStart(s) - this.lookAheadMs) return true
    return this.confirmedAt >= this.slotStart(s - 1) - this.lookAheadMs && this.confirmedAt > this.fenceEndedAt
  }

  /** A record as the bucket holds it now: a newer one by someone else ends what we hold. */
  private seen (p: number, rec: ViewedRecord): void {
    const prev = this.view.get(p)
    if (prev !== undefined && prev.revision >= rec.revision) return
    this.view.set(p, rec)
    const mine = this.held.get(p)
    if (mine !== undefined && rec.revision > mine.revision) {
      // ours, newer: our own compare-and-set seen before its answer (apply() sets it again)
      if (rec.owner === this.me) this.held.set(p, { ...rec, claimedAt: mine.claimedAt })
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
    // the lease is counted from when the renewal was sent (it was written after that), not from its answer
    const sentAt = this.monotonic()
    try {
      const revision = await this.opts.buckets.members.put(memberKey(this.me), JSON.stringify({ id: this.me, leaving: this.leaving }))
      // a renewal answered late was maybe written late: it does not count (the others judge by when it was written)
      if (this.monotonic() - sentAt > 0.35 * this.opts.leaseMs) throw new Error('presence renewal answered too late')
      const wasFenced = this.checkFence()
      this.lastAck = Math.max(this.lastAck ?? sentAt, sentAt)
      this.ownPuts.push({ revision, sentAt })
      this.ownSeen(this.ownSeenRevision)
      // the plan that follows judges liveness up to this renewal: give the watch a moment to bring it
      if (this.watchedUpTo < sentAt) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 250)
          this.ownDelivered.push(() => { clearTimeout(timer); resolve() })
        })
      }
      if (wasFenced) {
        this.fenced = false
        this.fenceEndedAt = this.now()
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

  /** The members watch delivered our own presence key at this revision. */
  private ownSeen (revision: number): void {
    this.ownSeenRevision = Math.max(this.ownSeenRevision, revision)
    const rest: Array<{ revision: number, sentAt: number }> = []
    for (const put of this.ownPuts) {
      if (put.revision <= this.ownSeenRevision) this.watchedUpTo = Math.max(this.watchedUpTo, put.sentAt)
      else rest.push(put)
    }
    this.ownPuts = rest
    if (rest.length === 0) for (const done of this.ownDelivered.splice(0)) done()
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
      slot: this.slotNow(),
      // a claim made now over an owner that did not let go counts from the first slot that starts claimMargin after it (see look())
      claimSlot: Math.floor((this.now() + this.claimMarginMs) / this.opts.intervalMs)
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
      const mine = this.held.get(a.partition)
      const continues = a.op === 'update' && mine !== undefined && mine.revision === a.revision
      // let go by its owner up to a slot before ours: it stops there whatever it sees
      const released = a.op === 'update' && before !== undefined && before.revision === a.revision && before.owner !== this.me && before.until !== null && a.value.from > before.until
      const revision = a.op === 'create' ? await owners.create(key, data) : await owners.update(key, data, a.revision)
      const claimedAt = continues ? mine.claimedAt : released ? -Infinity : this.now()
      const rec: HeldRecord = { ...a.value, revision, claimedAt }
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

  /**
   * Whether this instance pings partition p in slot s: it holds p for s, its claim was written in time
   * for s, and (CLUSTER_ON_NATS_LOSS=fence) what it holds is confirmed for s (confirmedFor()). With
   * keep, a look that failed does not stop it (that setting accepts double pings rather than a blind spot).
   */
  pings (p: number, s: number): boolean {
    if (this.opts.onLoss === 'fence' && (this.checkFence() || this.suspect || !this.confirmedFor(s))) return false
    const h = this.held.get(p)
    return h !== undefined && pingsIn(h, s) && h.claimedAt <= this.slotStart(s) - this.claimMarginMs
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
    if (this.lookTimer !== null) clearTimeout(this.lookTimer)
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
