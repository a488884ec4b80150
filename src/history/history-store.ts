import { formatLocalIso } from '../lib/local-time.js'
import type { CycleColumns, ResultBatch } from '../storage/result-columns.js'
import type { ResultRow } from '../storage/result-row.js'
import type { HistoryStatistics, OverviewEntry, TimelineBucket } from '../schemas/history.js'
import { DeviceSeries, FAIL, INITIAL_CAP, RTT_MAX } from './device-series.js'
import { MinuteAggregates } from './minute-aggregates.js'
import { RingSlab } from './ring-slab.js'
import { BINS, binOfHundredths, exactQuantile, histogramQuantile } from './rtt-histogram.js'

export interface HistoryStoreOptions {
  /** how far back results are kept */
  hours: number
  /** expected seconds between results of one device: sizes each device's ring */
  intervalSeconds: number
}

const round2 = (x: number) => Math.round(x * 100) / 100
/** kept beyond the window so the pair before the window's first ping exists (jitter) */
const MAX_MARGIN_MS = 10 * 60_000
const MAX_ERRORS = 255

/**
 * What the read routes need, in memory: every device's recent results as compact columns, and
 * per-minute totals of all devices. Fed once per cycle; rebuilt from the CSV files at start.
 *
 * Exactness: counts, rates, averages, min, max and jitter are exact for any window (whole minutes
 * come from the minute totals, the window's partial first and last minute from the raw columns).
 * p50/p95 are exact for one device; for all devices they come from log-scale histograms and are
 * within 1% (relative) of the exact value.
 */
export class HistoryStore {
  private readonly series = new Map<number, DeviceSeries>()
  /** the devices' rings, in shared chunks */
  private readonly slab = new RingSlab()
  private readonly minutes: MinuteAggregates
  private readonly errors: string[] = ['']
  private readonly errorCodes = new Map<string, number>([['', 0]])
  private readonly windowMs: number
  /** kept beyond the window: 10 minutes, or the window itself when shorter */
  private readonly marginMs: number
  private readonly maxPerDevice: number
  private base = -1
  private latestAt = 0
  private lastSweep = 0

  constructor (opts: HistoryStoreOptions) {
    this.windowMs = opts.hours * 3_600_000
    this.marginMs = Math.min(MAX_MARGIN_MS, this.windowMs)
    this.minutes = new MinuteAggregates(Math.ceil((this.windowMs + this.marginMs) / 60_000) + 2)
    // 5% more than the interval allows (a restart's extra cycle, clock jitter); the oldest go first beyond it
    this.maxPerDevice = Math.ceil(((this.windowMs + this.marginMs) / 1000 / opts.intervalSeconds) * 1.05) + 16
  }

  add (row: ResultRow, at: number): void {
    this.addValues(row.device_id, at, row.ping_success, row.response_time_ms, row.error_message, row.ip_address, row.hostname)
  }

  /** One live cycle's results, read from its columns. */
  addCycle (c: CycleColumns): void {
    const devices = c.devices
    for (let i = 0; i < c.n; i++) {
      const d = devices[i]
      const rtt = c.rtt[i]
      const ok = c.ok[i] === 1
      this.addValues(d.device_id, c.at[i], ok, Number.isNaN(rtt) ? null : rtt, ok ? '' : c.errors[c.error[i]], d.ip_address, d.hostname)
    }
  }

  /** Rows read back from the CSV files at start, as columns (see ResultBatch). */
  addBatch (b: ResultBatch, strings: string[]): void {
    for (let i = 0; i < b.n; i++) {
      const rtt = b.rtt[i]
      this.addValues(b.deviceId[i], b.at[i], b.ok[i] === 1, Number.isNaN(rtt) ? null : rtt, strings[b.error[i]], strings[b.ip[i]], strings[b.hostname[i]])
    }
  }

  private addValues (deviceId: number, at: number, ok: boolean, rttMs: number | null, error: string, ip: string, hostname: string): void {
    if (this.base === -1) this.base = at - this.windowMs - this.marginMs
    if (at - this.base > 0xF0000000) this.rebase(at)
    const t = at - this.base
    if (t < 0) return
    let s = this.series.get(deviceId)
    if (s === undefined) {
      s = new DeviceSeries(this.maxPerDevice, INITIAL_CAP, this.slab)
      this.series.set(deviceId, s)
    }
    // older than the device's newest result: not kept in memory (the CSV has it)
    if (t < s.lastTime()) return
    const rtt = ok && rttMs !== null ? Math.min(RTT_MAX, Math.round(rttMs * 100)) : FAIL
    // the device's previous timed success, kept on the series: looking it up would walk back
    // through every failure of a device that was down for hours
    const jitter = rtt !== FAIL && s.lastOk !== -1 ? Math.abs(rtt - s.lastOk) : null
    s.push(t, rtt, ok ? 0 : this.errorCode(error || 'Ping failed'), ip, hostname)
    this.minutes.add(at, ok, rtt === FAIL ? null : rtt, jitter)
    if (at > this.latestAt) this.latestAt = at
    if (at - this.lastSweep > 60_000) this.sweep(at)
  }

  has (deviceId: number, fromMs: number, toMs: number): boolean {
    const s = this.series.get(deviceId)
    if (s === undefined) return false
    const i = s.lowerBound(fromMs - this.base)
    return i < s.len && s.timeAt(s.slot(i)) <= toMs - this.base
  }

  /** One device's results in [from, to], newest first, at most `limit`. */
  deviceRows (deviceId: number, fromMs: number, toMs: number, limit: number): ResultRow[] {
    const s = this.series.get(deviceId)
    if (s === undefined) return []
    const out: ResultRow[] = []
    const lo = s.lowerBound(fromMs - this.base)
    for (let i = s.lowerBound(toMs - this.base + 1) - 1; i >= lo && out.length < limit; i--) {
      const p = s.slot(i)
      const rtt = s.rttAt(p)
      const label = s.labelAt(i)
      out.push({
        timestamp: formatLocalIso(this.base + s.timeAt(p)),
        device_id: deviceId,
        ip_address: label.ip,
        hostname: label.hostname,
        ping_success: s.errAt(p) === 0,
        response_time_ms: rtt === FAIL ? null : rtt / 100,
        error_message: this.errors[s.errAt(p)]
      })
    }
    return out
  }

  statistics (fromMs: number, toMs: number, deviceId?: number): HistoryStatistics {
    const acc = new Acc()
    if (deviceId !== undefined) {
      const s = this.series.get(deviceId)
      if (s !== undefined) this.scan(s, fromMs, toMs, acc, true)
      const values = Float64Array.from(acc.values ?? []).sort()
      return acc.result(exactQuantile(values, 0.5), exactQuantile(values, 0.95))
    }
    // whole minutes from the minute totals; the partial minutes at both ends from the raw columns
    const firstFull = Math.ceil(fromMs / 60_000)
    const endFull = Math.floor((toMs + 1) / 60_000)
    const hist = new Uint32Array(BINS)
    if (endFull > firstFull) {
      for (let m = firstFull; m < endFull; m++) {
        const slot = this.minutes.has(m)
        if (slot === -1) continue
        acc.addMinute(this.minutes, slot)
        const h = this.minutes.hist
        const off = slot * BINS
        for (let b = 0; b < BINS; b++) hist[b] += h[off + b]
      }
      for (const s of this.series.values()) {
        this.scan(s, fromMs, firstFull * 60_000 - 1, acc, false, hist)
        this.scan(s, endFull * 60_000, toMs, acc, false, hist)
      }
    } else {
      for (const s of this.series.values()) this.scan(s, fromMs, toMs, acc, false, hist)
    }
    return acc.result(histogramQuantile(hist, acc.timed, 0.5), histogramQuantile(hist, acc.timed, 0.95))
  }

  /** Per-bucket totals of one device over [from, to]; buckets aligned to multiples of bucketMs. */
  timeline (deviceId: number, fromMs: number, toMs: number, bucketMs: number): TimelineBucket[] {
    return formatTimeline(this.timelineCounts(deviceId, fromMs, toMs, bucketMs))
  }

  /**
   * The sums behind timeline(), which add up across stores: in cluster mode each instance holds the
   * results it pinged, and a device's timeline adds every owner's counts (same window, same buckets).
   */
  timelineCounts (deviceId: number, fromMs: number, toMs: number, bucketMs: number): TimelineCounts {
    const first = Math.floor(fromMs / bucketMs) * bucketMs
    const n = Math.max(0, Math.floor((toMs - first) / bucketMs) + 1)
    const c = emptyTimelineCounts(first, bucketMs, n)
    const s = this.series.get(deviceId)
    if (s !== undefined) {
      const hi = s.lowerBound(toMs - this.base + 1)
      for (let i = s.lowerBound(fromMs - this.base); i < hi; i++) {
        const p = s.slot(i)
        const b = Math.floor((this.base + s.timeAt(p) - first) / bucketMs)
        c.pings[b]++
        if (s.errAt(p) !== 0) continue
        c.oks[b]++
        const rtt = s.rttAt(p)
        if (rtt === FAIL) continue
        c.timed[b]++
        c.sum[b] += rtt
        if (rtt > c.max[b]) c.max[b] = rtt
      }
    }
    return c
  }

  /** Loss and a sparkline of average times (`points` equal slices) per device over [from, to]. */
  overview (deviceIds: number[], fromMs: number, toMs: number, points: number): OverviewEntry[] {
    const sliceMs = (toMs - fromMs) / points
    const sum = new Float64Array(points)
    const cnt = new Uint32Array(points)
    return deviceIds.map((device_id) => {
      const s = this.series.get(device_id)
      const spark: Array<number | null> = new Array(points).fill(null)
      if (s === undefined) return { device_id, loss_percent: null, spark }
      sum.fill(0)
      cnt.fill(0)
      let total = 0
      let failed = 0
      const hi = s.lowerBound(toMs - this.base + 1)
      for (let i = s.lowerBound(fromMs - this.base); i < hi; i++) {
        const p = s.slot(i)
        total++
        if (s.errAt(p) !== 0) { failed++; continue }
        const rtt = s.rttAt(p)
        if (rtt === FAIL) continue
        const k = Math.min(points - 1, Math.floor((this.base + s.timeAt(p) - fromMs) / sliceMs))
        sum[k] += rtt
        cnt[k]++
      }
      for (let k = 0; k < points; k++) if (cnt[k] > 0) spark[k] = round2(sum[k] / cnt[k] / 100)
      return { device_id, loss_percent: total === 0 ? null : round2((failed / total) * 100), spark }
    })
  }

  /** Forgets devices (e.g. removed from the inventory) once they have nothing in the window. */
  sweep (now: number): void {
    this.lastSweep = now
    const cutoff = now - this.windowMs - this.marginMs - this.base
    for (const [id, s] of this.series) {
      s.trimBefore(cutoff)
      if (s.len === 0) {
        s.release()
        this.series.delete(id)
      }
    }
  }

  counts (): { devices: number, results: number } {
    let results = 0
    for (const s of this.series.values()) results += s.len
    return { devices: this.series.size, results }
  }

  private scan (s: DeviceSeries, fromMs: number, toMs: number, acc: Acc, keepValues: boolean, hist?: Uint32Array): void {
    if (toMs < fromMs) return
    const hi = s.lowerBound(toMs - this.base + 1)
    const lo = s.lowerBound(fromMs - this.base)
    let prev = this.previousSuccess(s, lo)
    for (let i = lo; i < hi; i++) {
      const p = s.slot(i)
      acc.total++
      if (s.errAt(p) !== 0) continue
      acc.ok++
      const rtt = s.rttAt(p)
      if (rtt === FAIL) continue
      acc.addTime(rtt, keepValues)
      if (hist !== undefined) hist[binOfHundredths(rtt)]++
      if (prev !== -1) {
        acc.jitterSum += Math.abs(rtt - prev)
        acc.jitterPairs++
      }
      prev = rtt
    }
  }

  /** round-trip (hundredths) of the last timed success before logical index i, or -1 */
  private previousSuccess (s: DeviceSeries, i: number): number {
    for (let k = i - 1; k >= 0; k--) {
      const p = s.slot(k)
      if (s.errAt(p) === 0 && s.rttAt(p) !== FAIL) return s.rttAt(p)
    }
    return -1
  }

  private errorCode (message: string): number {
    let code = this.errorCodes.get(message)
    if (code !== undefined) return code
    if (this.errors.length >= MAX_ERRORS) return MAX_ERRORS
    code = this.errors.length
    this.errors.push(message)
    this.errorCodes.set(message, code)
    if (this.errors.length === MAX_ERRORS) this.errors.push('Ping failed (message not kept in memory; see the CSV file)')
    return code
  }

  private rebase (at: number): void {
    const newBase = at - this.windowMs - this.marginMs
    const delta = newBase - this.base
    for (const s of this.series.values()) s.rebase(delta)
    this.base = newBase
  }
}

/** Sums in integer hundredths of a millisecond: exact, whatever the order of addition. */
class Acc {
  total = 0
  ok = 0
  timed = 0
  sum = 0
  min = Infinity
  max = -Infinity
  jitterSum = 0
  jitterPairs = 0
  values: number[] | null = null

  addTime (rtt: number, keep: boolean): void {
    this.timed++
    this.sum += rtt
    if (rtt < this.min) this.min = rtt
    if (rtt > this.max) this.max = rtt
    if (keep) (this.values ??= []).push(rtt / 100)
  }

  addMinute (m: MinuteAggregates, slot: number): void {
    this.total += m.count[slot]
    this.ok += m.ok[slot]
    this.timed += m.timed[slot]
    this.sum += m.sum[slot]
    if (m.min[slot] < this.min) this.min = m.min[slot]
    if (m.max[slot] > this.max) this.max = m.max[slot]
    this.jitterSum += m.jitterSum[slot]
    this.jitterPairs += m.jitterPairs[slot]
  }

  result (p50: number | null, p95: number | null): HistoryStatistics {
    const none = this.timed === 0
    return {
      total_pings: this.total,
      successful_pings: this.ok,
      failed_pings: this.total - this.ok,
      success_rate: this.total === 0 ? 0 : round2((this.ok / this.total) * 100),
      average_response_time_ms: none ? null : round2(this.sum / this.timed / 100),
      min_response_time_ms: none ? null : this.min / 100,
      max_response_time_ms: none ? null : this.max / 100,
      p50_response_time_ms: p50 === null ? null : round2(p50),
      p95_response_time_ms: p95 === null ? null : round2(p95),
      jitter_ms: this.jitterPairs === 0 ? null : round2(this.jitterSum / this.jitterPairs / 100),
      packet_loss_percent: this.total === 0 ? 0 : round2(((this.total - this.ok) / this.total) * 100)
    }
  }
}

/** A timeline's sums per bucket (times in hundredths of a ms; max -1 where nothing was timed). Plain arrays: they travel as JSON. */
export interface TimelineCounts {
  first: number
  bucketMs: number
  pings: number[]
  oks: number[]
  timed: number[]
  sum: number[]
  max: number[]
}

export function emptyTimelineCounts (first: number, bucketMs: number, n: number): TimelineCounts {
  return { first, bucketMs, pings: new Array(n).fill(0), oks: new Array(n).fill(0), timed: new Array(n).fill(0), sum: new Array(n).fill(0), max: new Array(n).fill(-1) }
}

/** Adds `b`'s counts into `a` (the same window and buckets; a mismatch is left out rather than misplaced). */
export function addTimelineCounts (a: TimelineCounts, b: TimelineCounts): void {
  if (a.first !== b.first || a.bucketMs !== b.bucketMs || a.pings.length !== b.pings.length) return
  for (let i = 0; i < a.pings.length; i++) {
    a.pings[i] += b.pings[i]
    a.oks[i] += b.oks[i]
    a.timed[i] += b.timed[i]
    a.sum[i] += b.sum[i]
    if (b.max[i] > a.max[i]) a.max[i] = b.max[i]
  }
}

export function formatTimeline (c: TimelineCounts): TimelineBucket[] {
  const out: TimelineBucket[] = []
  for (let b = 0; b < c.pings.length; b++) {
    out.push({
      start: formatLocalIso(c.first + b * c.bucketMs),
      pings: c.pings[b],
      successes: c.oks[b],
      avg_ms: c.timed[b] === 0 ? null : round2(c.sum[b] / c.timed[b] / 100),
      max_ms: c.timed[b] === 0 ? null : c.max[b] / 100
    })
  }
  return out
}
