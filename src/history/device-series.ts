import { RingSlab } from './ring-slab.js'

/** Marks a failed ping in the round-trip field (24 bits). */
export const FAIL = 0xFFFFFF
/** the largest round-trip that can be kept, in hundredths of a millisecond (167 s) */
export const RTT_MAX = FAIL - 1

/** ip/hostname of a device's results from sequence number `fromSeq` on */
export interface SeriesLabel { fromSeq: number, ip: string, hostname: string }

/**
 * Results a new ring holds before it first grows: 64 bytes. A ring of 64 results (what it started
 * with once) was ~1.1 KB of RSS per device, measured, before a device had even its 9th result
 * (50,000 devices: 55 MB at start). The rings grow by 4 from there, in slots of a RingSlab.
 */
export const INITIAL_CAP = 8

/**
 * One device's recent results in a ring: 8 bytes a result, side by side in a slot of a RingSlab
 * chunk: the time offset in ms from the store's base, then the round-trip time in hundredths of a
 * millisecond (24 bits, or FAIL) with the error code in the top 8 bits. One result is one place in
 * memory: a cycle's write touches one page per device, not three (on this VM a page that went cold
 * costs a fault of ~20 us to touch again). Grows by 4 up to `maxCap`, then overwrites the oldest:
 * memory is bounded by design.
 */
export class DeviceSeries {
  /** the chunk holding the ring, from `base` on: [t0, v0, t1, v1, ...], v = err << 24 | rtt */
  private d: Uint32Array
  private base: number
  private capacity: number
  /** the ring's slot in the slab */
  private id: number
  start = 0
  len = 0
  /** results ever pushed minus those evicted from the front: the sequence number of index 0 */
  evicted = 0
  /** round-trip of the newest timed success ever pushed (hundredths), or -1: the jitter of the next one */
  lastOk = -1
  /** ip/hostname of the newest results (null before the first push) */
  private label: SeriesLabel | null = null
  /**
   * earlier labels that still apply to kept results, oldest first; null without any (changes are rare:
   * no array per device for them, which cost ~170 bytes per device with its elements)
   */
  private older: SeriesLabel[] | null = null

  /** `slab`: where the ring's slots come from (the store's, shared by its devices) */
  constructor (private readonly maxCap: number, initialCap = INITIAL_CAP, private readonly slab = new RingSlab()) {
    this.capacity = Math.min(initialCap, maxCap)
    this.id = slab.alloc(this.capacity * 2)
    this.d = slab.chunk(this.capacity * 2, this.id)
    this.base = slab.base(this.capacity * 2, this.id)
  }

  get cap (): number {
    return this.capacity
  }

  /** physical slot of logical index i (0 = oldest) */
  slot (i: number): number {
    const p = this.start + i
    const cap = this.capacity
    return p >= cap ? p - cap : p
  }

  /** time offset at physical slot p */
  timeAt (p: number): number {
    return this.d[this.base + (p << 1)]
  }

  /** round-trip in hundredths of a millisecond at physical slot p, or FAIL */
  rttAt (p: number): number {
    return this.d[this.base + (p << 1) + 1] & FAIL
  }

  /** error code at physical slot p (0 = success) */
  errAt (p: number): number {
    return this.d[this.base + (p << 1) + 1] >>> 24
  }

  lastTime (): number {
    return this.len === 0 ? -1 : this.d[this.base + (this.slot(this.len - 1) << 1)]
  }

  /** `rtt` in hundredths (at most RTT_MAX) or FAIL; `err` 0 to 255 */
  push (t: number, rtt: number, err: number, ip: string, hostname: string): void {
    const seq = this.evicted + this.len
    const label = this.label
    if (label === null || label.ip !== ip || label.hostname !== hostname) {
      if (label !== null) (this.older ??= []).push(label)
      this.label = { fromSeq: seq, ip, hostname }
    }
    if (this.len === this.cap) {
      if (this.cap < this.maxCap) this.grow()
      else this.evictFront(1)
    }
    const s = this.base + (this.slot(this.len) << 1)
    this.d[s] = t
    this.d[s + 1] = ((err << 24) | rtt) >>> 0
    this.len++
    if (err === 0 && rtt !== FAIL) this.lastOk = rtt
  }

  /** Drops results older than `t` (an offset like the stored ones). */
  trimBefore (t: number): void {
    let n = 0
    while (n < this.len && this.timeAt(this.slot(n)) < t) n++
    if (n > 0) this.evictFront(n)
  }

  /** first logical index whose time is >= t */
  lowerBound (t: number): number {
    let lo = 0
    let hi = this.len
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.timeAt(this.slot(mid)) < t) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** the label of logical index i (the series must hold it) */
  labelAt (i: number): SeriesLabel {
    const seq = this.evicted + i
    const label = this.label as SeriesLabel
    const older = this.older
    if (seq >= label.fromSeq || older === null) return label
    let lo = 0
    let hi = older.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (older[mid].fromSeq <= seq) lo = mid
      else hi = mid - 1
    }
    return older[lo]
  }

  /** Shifts every stored time down by `delta` (the store moved its base forward). */
  rebase (delta: number): void {
    let drop = 0
    while (drop < this.len && this.timeAt(this.slot(drop)) < delta) drop++
    if (drop > 0) this.evictFront(drop)
    for (let i = 0; i < this.len; i++) {
      this.d[this.base + (this.slot(i) << 1)] -= delta
    }
  }

  /** the ring's bytes (its slot) */
  bytes (): number {
    return this.capacity * 8
  }

  /** Gives the ring's slot back to the slab: the series is not used after this. */
  release (): void {
    this.slab.release(this.capacity * 2, this.id)
    this.len = 0
    this.start = 0
  }

  private evictFront (n: number): void {
    this.start = this.slot(n)
    this.len -= n
    this.evicted += n
    if (this.len === 0) this.start = 0
    // labels that no longer apply to any kept result
    const older = this.older
    if (older !== null) {
      while (older.length > 0 && (older.length > 1 ? older[1].fromSeq : (this.label as SeriesLabel).fromSeq) <= this.evicted) older.shift()
      if (older.length === 0) this.older = null
    }
  }

  private grow (): void {
    // by 4, not 2: a day's read-back at start grows each ring from 8 to its full size, and doubling
    // made that 1.5x slower with 35 MB more RSS (1,000 devices, 24 h: the new pages' faults and
    // zeroing of twice the bytes; measured), whatever the slab saves per allocation
    const cap = Math.min(this.maxCap, this.capacity * 4)
    const id = this.slab.alloc(cap * 2)
    const d = this.slab.chunk(cap * 2, id)
    const base = this.slab.base(cap * 2, id)
    // the ring in order: [start, cap) then [0, start)
    const head = Math.min(this.len, this.capacity - this.start)
    const tail = this.len - head
    const from = this.base
    d.set(this.d.subarray(from + this.start * 2, from + (this.start + head) * 2), base)
    if (tail > 0) d.set(this.d.subarray(from, from + tail * 2), base + head * 2)
    this.slab.release(this.capacity * 2, this.id)
    this.d = d
    this.base = base
    this.id = id
    this.capacity = cap
    this.start = 0
  }
}
