import { BINS, binOfHundredths } from './rtt-histogram.js'

/**
 * All devices' results per minute: count, successes, sum/min/max of round-trip times, the jitter sum
 * and pair count, and a histogram of times. Times are integer hundredths of a millisecond, so sums
 * are exact and agree to the last digit with sums over the raw columns. A ring of `minutes` slots; a slot is reset when a new
 * minute takes it over.
 */
export class MinuteAggregates {
  readonly minute: Float64Array
  readonly count: Uint32Array
  readonly ok: Uint32Array
  readonly timed: Uint32Array
  readonly sum: Float64Array
  readonly min: Float64Array
  readonly max: Float64Array
  readonly jitterSum: Float64Array
  readonly jitterPairs: Uint32Array
  readonly hist: Uint32Array

  constructor (readonly slots: number) {
    this.minute = new Float64Array(slots).fill(-1)
    this.count = new Uint32Array(slots)
    this.ok = new Uint32Array(slots)
    this.timed = new Uint32Array(slots)
    this.sum = new Float64Array(slots)
    this.min = new Float64Array(slots)
    this.max = new Float64Array(slots)
    this.jitterSum = new Float64Array(slots)
    this.jitterPairs = new Uint32Array(slots)
    this.hist = new Uint32Array(slots * BINS)
  }

  /** The slot for a minute, or -1 when that minute is older than what the ring holds. */
  private slotFor (minute: number): number {
    const s = minute % this.slots
    if (this.minute[s] === minute) return s
    if (this.minute[s] > minute) return -1
    this.minute[s] = minute
    this.count[s] = 0
    this.ok[s] = 0
    this.timed[s] = 0
    this.sum[s] = 0
    this.min[s] = Infinity
    this.max[s] = -Infinity
    this.jitterSum[s] = 0
    this.jitterPairs[s] = 0
    this.hist.fill(0, s * BINS, (s + 1) * BINS)
    return s
  }

  add (at: number, ok: boolean, rtt: number | null, jitterDiff: number | null): void {
    const s = this.slotFor(Math.floor(at / 60_000))
    if (s === -1) return
    this.count[s]++
    if (!ok) return
    this.ok[s]++
    if (rtt === null) return
    this.timed[s]++
    this.sum[s] += rtt
    if (rtt < this.min[s]) this.min[s] = rtt
    if (rtt > this.max[s]) this.max[s] = rtt
    this.hist[s * BINS + binOfHundredths(rtt)]++
    if (jitterDiff !== null) {
      this.jitterSum[s] += jitterDiff
      this.jitterPairs[s]++
    }
  }

  /** Slot of an exact minute, or -1 if the ring does not hold it. */
  has (minute: number): number {
    const s = minute % this.slots
    return this.minute[s] === minute ? s : -1
  }
}
