import type { ResultRow } from '../storage/result-row.js'

export interface Statistics {
  total_pings: number
  successful_pings: number
  failed_pings: number
  success_rate: number
  average_response_time_ms: number | null
  min_response_time_ms: number | null
  max_response_time_ms: number | null
}

const round2 = (x: number) => Math.round(x * 100) / 100

/** Accumulates rows one at a time, so a window is never held in memory to be summarised. */
export class StatisticsAccumulator {
  private total = 0
  private ok = 0
  private timed = 0
  private sum = 0
  private min = Infinity
  private max = -Infinity

  add (row: Pick<ResultRow, 'ping_success' | 'response_time_ms'>): void {
    this.total++
    if (!row.ping_success) return
    this.ok++
    const t = row.response_time_ms
    if (t === null) return
    this.timed++
    this.sum += t
    if (t < this.min) this.min = t
    if (t > this.max) this.max = t
  }

  result (): Statistics {
    return {
      total_pings: this.total,
      successful_pings: this.ok,
      failed_pings: this.total - this.ok,
      success_rate: this.total === 0 ? 0 : round2((this.ok / this.total) * 100),
      average_response_time_ms: this.timed === 0 ? null : round2(this.sum / this.timed),
      min_response_time_ms: this.timed === 0 ? null : round2(this.min),
      max_response_time_ms: this.timed === 0 ? null : round2(this.max)
    }
  }
}
