import { familyHeader, formatValue } from './exposition.js'

/** Seconds: from a LAN's sub-millisecond replies to a satellite link's seconds. */
export const RESPONSE_TIME_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const

/**
 * A Prometheus histogram of reply times over all devices, counted with a few array operations per
 * reply (prom-client's observe() hashes its label set on every call: 30 ms for a 50,000-device cycle).
 */
export class ResponseTimeHistogram {
  /** counts per bucket, not cumulative; the last one is +Inf */
  private readonly counts: number[]
  private sum = 0
  private count = 0

  constructor (readonly name: string, readonly help: string, readonly bounds: readonly number[] = RESPONSE_TIME_BUCKETS) {
    this.counts = new Array<number>(bounds.length + 1).fill(0)
  }

  observe (seconds: number): void {
    let i = 0
    while (i < this.bounds.length && seconds > this.bounds[i]) i++
    this.counts[i]++
    this.sum += seconds
    this.count++
  }

  render (): string {
    const lines = [familyHeader(this.name, this.help, 'histogram')]
    let cumulative = 0
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += this.counts[i]
      lines.push(`${this.name}_bucket{le="${formatValue(this.bounds[i])}"} ${cumulative}\n`)
    }
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}\n${this.name}_sum ${formatValue(this.sum)}\n${this.name}_count ${this.count}\n`)
    return lines.join('')
  }
}
