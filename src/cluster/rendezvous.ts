import { hash32 } from './hash.js'

/**
 * Rendezvous (highest random weight) hashing: the owner of a partition is the member with the highest
 * score hash(member, partition). Every instance computes the same winner from the same member list,
 * and a join or a leave changes the winner of only the partitions that member wins or won (about 1/N).
 * Ties (practically never) go to the smaller id, so the answer never depends on the list's order.
 */
export function rendezvousOwner (partition: number, members: readonly string[]): string | null {
  let best: string | null = null
  let bestScore = -1
  for (const m of members) {
    const score = hash32(`${m}\u0000${partition}`)
    if (score > bestScore || (score === bestScore && best !== null && m < best)) {
      best = m
      bestScore = score
    }
  }
  return best
}

/** The winner of every partition among these members (cached by the caller per member list). */
export function rendezvousTable (partitions: number, members: readonly string[]): Array<string | null> {
  const out = new Array<string | null>(partitions)
  for (let p = 0; p < partitions; p++) out[p] = rendezvousOwner(p, members)
  return out
}
