/**
 * Who is alive, judged from the members KV bucket: every instance puts its presence key each
 * heartbeat, so its revision changes; a member whose revision has not changed for the lease, on our
 * own monotonic clock, counts as gone. Not from TTL expiry: Debian's nats-server 2.9 sends watchers
 * no event when a key expires (expiry markers came in 2.11), and the two hosts' clocks need not agree.
 */
export interface Presence {
  leaving: boolean
}

export class Membership {
  /** changedAt: when we saw its revision change; null until we have (a key seen once may belong to a dead member) */
  private readonly seen = new Map<string, { changedAt: number | null, revision: number, leaving: boolean }>()

  /**
   * @param watchedUpTo the time up to which the watch is known to have delivered every renewal (the
   * send time of our own latest renewal it brought back); a member counts as gone only when it did not
   * renew within the lease before that, so a watch that stalls does not make the others look gone
   */
  constructor (private readonly leaseMs: number, private readonly now: () => number, private readonly watchedUpTo: () => number = now) {}

  /** a presence key was put */
  update (member: string, revision: number, presence: Presence): void {
    const prev = this.seen.get(member)
    if (prev !== undefined && prev.revision >= revision) return
    // the first sight of a key proves nothing (a crashed member's key stays until the bucket's TTL);
    // a change of its revision proves the member renewed it
    this.seen.set(member, { changedAt: prev === undefined ? null : this.now(), revision, leaving: presence.leaving })
  }

  /** a presence key was deleted: the member left */
  remove (member: string): void {
    this.seen.delete(member)
  }

  /**
   * Our view was stale (we lost NATS): each member alive before gets a whole lease from now (of
   * watched time) to be seen renewing again. Not less: it may be reconnecting too, and our watch may
   * take longer than our puts to come back (its consumer may have been on a NATS node that died); a
   * member judged gone too early has its partitions taken while it still pings them.
   */
  resetView (): void {
    const now = this.now()
    for (const [m, s] of this.seen) if (this.live(m)) s.changedAt = now
  }

  live (member: string): boolean {
    const s = this.seen.get(member)
    return s !== undefined && s.changedAt !== null && this.watchedUpTo() - s.changedAt < this.leaseMs
  }

  /** live members that take partitions (not leaving), sorted */
  eligible (): string[] {
    return [...this.seen.entries()].filter(([m, s]) => !s.leaving && this.live(m)).map(([m]) => m).sort()
  }

  /** every live member, leaving ones included (they still hold their history), sorted */
  liveMembers (): string[] {
    return [...this.seen.keys()].filter((m) => this.live(m)).sort()
  }

  liveCount (): number {
    return [...this.seen.keys()].filter((m) => this.live(m)).length
  }
}
