/**
 * FNV-1a (32 bit) of a string's UTF-8 bytes, then murmur3's fmix32 finalizer. Hand-written rather
 * than taken from a package: it is ten lines, and the partition of a device and the rendezvous
 * winner must stay the same on every instance and across every release and platform, so the exact
 * function is pinned here (a dependency's upgrade must never move devices). The finalizer spreads
 * FNV's weak high bits, which matters for rendezvous hashing (scores of similar keys compared).
 */
export function hash32 (text: string): number {
  let h = 0x811c9dc5
  const bytes = Buffer.from(text, 'utf8')
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i] as number
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
