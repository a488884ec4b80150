/** Marks a failed ping in the round-trip column. */
export const FAIL = 0xFFFFFFFF

/**
 * One device's recent results as compact columns in a ring: 9 bytes a result (time offset in ms from
 * the store's base, round-trip time in hundredths of a millisecond or FAIL, error code). Grows by
 * four times up to `maxCap`, then overwrites the oldest: memory is bounded by design.
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
    ;[this.t, this.rtt, this.err] = columns(cap)
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
    // by 4: each large allocation costs ~75 us (mmap) whatever its size, and a day's rebuild grows 1,000s of series
    const cap = Math.min(this.maxCap, this.cap * 4)
    const [t, rtt, err] = columns(cap)
    // the ring in order: [start, cap) then [0, start)
    const head = Math.min(this.len, this.cap - this.start)
    const tail = this.len - head
    t.set(this.t.subarray(this.start, this.start + head))
    rtt.set(this.rtt.subarray(this.start, this.start + head))
    err.set(this.err.subarray(this.start, this.start + head))
    if (tail > 0) {
      t.set(this.t.subarray(0, tail), head)
      rtt.set(this.rtt.subarray(0, tail), head)
      err.set(this.err.subarray(0, tail), head)
    }
    this.t = t
    this.rtt = rtt
    this.err = err
    this.start = 0
  }
}

/** the three columns of `cap` results in one buffer: one allocation instead of three */
function columns (cap: number): [Uint32Array, Uint32Array, Uint8Array] {
  const buf = new ArrayBuffer(cap * 9)
  return [new Uint32Array(buf, 0, cap), new Uint32Array(buf, cap * 4, cap), new Uint8Array(buf, cap * 8, cap)]
}
