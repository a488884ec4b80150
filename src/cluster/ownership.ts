/**
 * Partition ownership, as recorded in the owners KV bucket (one key per partition) and changed only
 * by compare-and-set (create when absent, update with the revision read): of two instances that try
 * the same change, exactly one wins. Ownership is counted in cycle slots (slot s = the cycle that
 * starts at s x PING_INTERVAL on the wall clock, the same on every instance): a record says who pings
 * the partition from slot `from`, and, once its owner has agreed to let go, until slot `until`.
 */
export interface OwnerRecord {
  owner: string
  from: number
  /** the last slot the owner pings; null = no end agreed */
  until: number | null
}

export interface ViewedRecord extends OwnerRecord {
  revision: number
}

export type OwnershipAction =
  | { partition: number, op: 'create', value: OwnerRecord }
  | { partition: number, op: 'update', revision: number, value: OwnerRecord }

export interface PlanInput {
  partitions: number
  me: string
  /** the rendezvous winner among the eligible members (live, not leaving), null when none */
  preferred: (partition: number) => string | null
  /** whether a member counts as alive (its presence renewed within the lease) */
  live: (member: string) => boolean
  /** the last record seen for each partition (undefined: no key) */
  view: (partition: number) => ViewedRecord | undefined
  /** whether this instance holds the record through its own compare-and-set, unchanged since */
  held: (partition: number) => boolean
  /** the slot of the cycle running now (or, between cycles, the last one started) */
  slot: number
  /** the last slot a claim made now is too late for (default: slot); a claim is from the next one */
  claimSlot?: number
}

/**
 * The changes this instance should try now, one compare-and-set each. Hand-over at a cycle boundary:
 * an owner that is no longer the preferred one sets `until` one slot ahead (it goes on pinging until
 * then); the preferred one then claims from `until + 1`, with at least one whole interval to do so,
 * so the partition is pinged in every slot and in none twice. A dead owner's partition is claimed
 * from the next slot (its devices miss the slots until the lease ran out, no more).
 */
export function planOwnership (input: PlanInput): OwnershipAction[] {
  const { me, slot: c } = input
  const k = Math.max(c, input.claimSlot ?? c)
  const out: OwnershipAction[] = []
  for (let p = 0; p < input.partitions; p++) {
    const pref = input.preferred(p)
    const rec = input.view(p)
    if (pref === me) {
      if (rec === undefined) {
        out.push({ partition: p, op: 'create', value: { owner: me, from: k + 1, until: null } })
      } else if (rec.owner === me) {
        if (!input.held(p)) {
          // ours from before a restart or a fence: confirmed again by compare-and-set before any ping
          out.push({ partition: p, op: 'update', revision: rec.revision, value: { owner: me, from: k + 1, until: null } })
        } else if (rec.until !== null) {
          // we were letting go but the taker left: keep it, without a gap if we still ping it
          out.push({ partition: p, op: 'update', revision: rec.revision, value: { owner: me, from: rec.until >= c ? rec.from : c + 1, until: null } })
        }
      } else if (!input.live(rec.owner) || rec.until !== null) {
        // a dead owner's: from the next slot; a released one: right after the owner's last slot
        const after = rec.until === null ? k + 1 : Math.max(k + 1, rec.until + 1)
        out.push({ partition: p, op: 'update', revision: rec.revision, value: { owner: me, from: after, until: null } })
      }
      // else: a live owner that has not let go yet; it will, at its next look
    } else if (pref !== null && rec !== undefined && rec.owner === me && rec.until === null) {
      // not ours any more: ping one more slot (the taker gets a whole interval to claim), then stop;
      // a record we do not hold (from before a restart) we are not pinging: released at once
      out.push({ partition: p, op: 'update', revision: rec.revision, value: { owner: me, from: rec.from, until: input.held(p) ? c + 1 : c } })
    }
  }
  return out
}

/** Whether a held record has this instance ping the partition in slot `s`. */
export function pingsIn (rec: OwnerRecord, s: number): boolean {
  return rec.from <= s && (rec.until === null || s <= rec.until)
}

export function encodeRecord (r: OwnerRecord): string {
  return JSON.stringify({ o: r.owner, f: r.from, u: r.until })
}

export function decodeRecord (text: string): OwnerRecord | null {
  try {
    const v = JSON.parse(text)
    if (typeof v?.o !== 'string' || !Number.isInteger(v.f) || !(v.u === null || Number.isInteger(v.u))) return null
    return { owner: v.o, from: v.f, until: v.u }
  } catch {
    return null
  }
}
