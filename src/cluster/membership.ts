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
  private readonly seen = new Map<string, { at: number, revision: number, leaving: boolean }>()
  /** when our own view became trustworthy (start, or contact regained): nobody is judged gone sooner than a lease after it */
  private viewSince: number

  constructor (private readonly leaseMs: number, private readonly now: () => number) {
    this.viewSince = now()
  }

  /** a presence key changed (put) */
  update (member: string, revision: number, presence: Presence): void {
    const prev = this.seen.get(member)
    if (prev !== undefined && prev.revision >= revision) return
    this.seen.set(member, { at: this.now(), revision, leaving: presence.leaving })
  }

  /** a presence key was deleted: the member left */
  remove (member: string): void {
    this.seen.delete(member)
  }

  /** our view was stale (we lost NATS): judge nobody gone until it has been fresh for a lease */
  resetView (): void {
    this.viewSince = this.now()
  }

  live (member: string): boolean {
    const s = this.seen.get(member)
    return s !== undefined && this.now() - Math.max(s.at, this.viewSince) < this.leaseMs
  }

  /** live members that take partitions (not leaving), sorted */
  eligible (): string[] {
    return [...this.seen.entries()].filter(([m, s]) => !s.leaving && this.live(m)).map(([m]) => m).sort()
  }

  liveCount (): number {
    return [...this.seen.keys()].filter((m) => this.live(m)).length
  }
}
