/** Marks a failed ping in the round-trip column. */
export const FAIL = 0xFFFFFFFF

/**
 * One device's recent results as compact columns in a ring: 9 bytes a result (time offset in ms from
 * the store's base, round-trip time in hundredths of a millisecond or FAIL, error code). Grows by
 * doubling up to `maxCap`, then overwrites the oldest: memory is bounded by design.
 */
export class DeviceSeries {
  t: Uint32Array
  rtt: Uint32Array
  err: Uint8Array
  start = 0
  len = 0
  /** results ever pushed minus those evicted from the front: the sequence number of index 0 */
  evicted = 0
  /** round-trip of the newest timed success ever pushed (hundredths), or -1: the jitter of the next one */
  lastOk = -1
  /** ip/hostname by the sequence number from which they apply (changes are rare) */
  readonly labels: Array<{ fromSeq: number, ip: string, hostname: string }> = []

  constructor (private readonly maxCap: number, initialCap = 64) {
    const cap = Math.min(initialCap, maxCap)
    this.t = new Uint32Array(cap)
    this.rtt = new Uint32Array(cap)
    this.err = new Uint8Array(cap)
  }

  get cap (): number {
    return this.t.length
  }

  /** physical slot of logical index i (0 = oldest) */
  slot (i: number): number {
    const p = this.start + i
    return p >= this.cap ? p - this.cap : p
  }

  lastTime (): number {
    return this.len === 0 ? -1 : this.t[this.slot(this.len - 1)]
  }

  push (t: number, rtt: number, err: number, ip: string, hostname: string): void {
    const seq = this.evicted + this.len
    const label = this.labels.at(-1)
    if (label === undefined || label.ip !== ip || label.hostname !== hostname) this.labels.push({ fromSeq: seq, ip, hostname })
    if (this.len === this.cap) {
      if (this.cap < this.maxCap) this.grow()
      else this.evictFront(1)
    }
    const s = this.slot(this.len)
    this.t[s] = t
    this.rtt[s] = rtt
    this.err[s] = err
    this.len++
    if (err === 0 && rtt !== FAIL) this.lastOk = rtt
  }

  /** Drops results older than `t` (an offset like the stored ones). */
  trimBefore (t: number): void {
    let n = 0
    while (n < this.len && this.t[this.slot(n)] < t) n++
    if (n > 0) this.evictFront(n)
  }

  /** first logical index whose time is >= t */
  lowerBound (t: number): number {
    let lo = 0
    let hi = this.len
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.t[this.slot(mid)] < t) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  labelAt (i: number): { ip: string, hostname: string } {
    const seq = this.evicted + i
    let lo = 0
    let hi = this.labels.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (this.labels[mid].fromSeq <= seq) lo = mid
      else hi = mid - 1
    }
    return this.labels[lo]
  }

  /** Shifts every stored time down by `delta` (the store moved its base forward). */
  rebase (delta: number): void {
    let drop = 0
    while (drop < this.len && this.t[this.slot(drop)] < delta) drop++
    if (drop > 0) this.evictFront(drop)
    for (let i = 0; i < this.len; i++) {
      const s = this.slot(i)
      this.t[s] -= delta
    }
  }

  bytes (): number {
    return this.cap * 9
  }

  private evictFront (n: number): void {
    this.start = this.slot(n)
    this.len -= n
    this.evicted += n
    if (this.len === 0) this.start = 0
    // labels that no longer apply to any kept result
    while (this.labels.length > 1 && this.labels[1].fromSeq <= this.evicted) this.labels.shift()
  }

  private grow (): void {
    const cap = Math.min(this.maxCap, this.cap * 2)
    const t = new Uint32Array(cap)
    const rtt = new Uint32Array(cap)
    const err = new Uint8Array(cap)
    for (let i = 0; i < this.len; i++) {
      const s = this.slot(i)
      t[i] = this.t[s]
      rtt[i] = this.rtt[s]
      err[i] = this.err[s]
    }
    this.t = t
    this.rtt = rtt
    this.err = err
    this.start = 0
  }
}
