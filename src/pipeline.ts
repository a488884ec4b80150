import type { Device } from './inventory/filter-inventory.js'
import type { Log } from './lib/log.js'
import type { CycleResult } from './monitor/cycle.js'
import type { CycleInfo } from './monitor/monitor.js'
import type { ResultBatch } from './storage/result-columns.js'

/**
 * One consumer of the data path. Every hook is optional; each is called on the main thread, must be
 * quick (a cycle may carry 50,000 results, as columns: see CycleColumns) and is guarded: a stage that throws is logged and counted, and
 * the stages after it still run.
 */
export interface Stage {
  name: string
  /**
   * Needs each device's results in time order: while history is read back, live cycles are held for
   * this stage and given to it after the read-back, oldest first (see ResultPipeline).
   */
  ordered?: boolean
  /** one finished cycle */
  cycle?: (cycle: CycleResult, info: CycleInfo) => void
  /** the read-back of earlier results begins (before the first live cycle) */
  replayStart?: () => void
  /** earlier results read back from the CSV files at start, as columns, oldest first */
  replayBatch?: (batch: ResultBatch, strings: string[]) => void
  /** the read-back is over (held cycles follow at once for ordered stages) */
  replayDone?: () => void
  /** the monitored devices changed (an inventory reload) */
  inventory?: (devices: Device[]) => void
}

export interface PipelineOptions {
  log: Log
  /** most live result rows held while history is read back; beyond it the oldest cycles go on early */
  maxHeldRows?: number
}

export interface PipelineStatus {
  replaying: boolean
  held_cycles: number
  /** per stage, the calls that threw */
  stage_failures: Record<string, number>
}

export interface ReplaySummary {
  /** held cycles given on before the read-back ended, to stay within maxHeldRows */
  flushed_early: number
}

interface Held { cycle: CycleResult, info: CycleInfo }

/**
 * The data path in one place. The service lists its stages once, in order (src/service.ts), and
 * everything that happens to a finished cycle, a replayed history batch or an inventory change is
 * "each stage, in that order". Holding live cycles during the read-back is done here, once, for
 * every stage that asks for order.
 */
export class ResultPipeline {
  private readonly stages: Stage[]
  private readonly failures = new Map<string, number>()
  private replaying = false
  private held: Held[] = []
  private heldRows = 0
  private flushedEarly = 0
  /** per device, the time of its first held live result: history from then on duplicates it */
  private readonly firstLive = new Map<number, number>()
  /** the earliest of those times */
  private firstLiveMin = Infinity
  private readonly maxHeldRows: number

  constructor (stages: Stage[], private readonly opts: PipelineOptions) {
    this.stages = stages
    this.maxHeldRows = opts.maxHeldRows ?? 2_000_000
    for (const s of stages) this.failures.set(s.name, 0)
  }

  get isReplaying (): boolean {
    return this.replaying
  }

  status (): PipelineStatus {
    return { replaying: this.replaying, held_cycles: this.held.length, stage_failures: Object.fromEntries(this.failures) }
  }

  /** A finished live cycle: every stage, in order; ordered stages later while history is read back. */
  cycle (cycle: CycleResult, info: CycleInfo): void {
    if (this.replaying) this.hold(cycle, info)
    for (const s of this.stages) {
      if (s.cycle === undefined || (this.replaying && s.ordered === true)) continue
      this.run(s, 'cycle', () => s.cycle?.(cycle, info))
    }
  }

  /** Idempotent: from now until `endReplay`, ordered stages get live cycles only afterwards. */
  startReplay (): void {
    if (this.replaying) return
    this.replaying = true
    for (const s of this.stages) {
      if (s.replayStart !== undefined) this.run(s, 'replay start', () => s.replayStart?.())
    }
  }

  /** Earlier results, oldest first. Rows a held live cycle already carries are left out. */
  replayBatch (batch: ResultBatch, strings: string[]): void {
    // the read-back ends before the first live cycle began, so a batch almost never reaches a live
    // result: one pass over its times settles that without a lookup per row
    const b = maxAt(batch) < this.firstLiveMin ? batch : withoutLive(batch, this.firstLive)
    for (const s of this.stages) {
      if (s.replayBatch !== undefined) this.run(s, 'replay', () => s.replayBatch?.(b, strings))
    }
  }

  /** The read-back is over: every stage is told, then ordered stages get the held cycles in order. */
  endReplay (): ReplaySummary {
    const held = this.held
    const summary = { flushed_early: this.flushedEarly }
    this.replaying = false
    this.held = []
    this.heldRows = 0
    this.flushedEarly = 0
    this.firstLive.clear()
    this.firstLiveMin = Infinity
    for (const s of this.stages) {
      if (s.replayDone !== undefined) this.run(s, 'replay done', () => s.replayDone?.())
    }
    for (const h of held) this.toOrdered(h)
    return summary
  }

  /** The monitored devices changed: every stage, in order. */
  inventory (devices: Device[]): void {
    for (const s of this.stages) {
      if (s.inventory !== undefined) this.run(s, 'inventory', () => s.inventory?.(devices))
    }
  }

  private hold (cycle: CycleResult, info: CycleInfo): void {
    const devices = cycle.devices
    for (let i = 0; i < cycle.n; i++) {
      const id = devices[i].device_id
      if (this.firstLive.has(id)) continue
      const at = cycle.at[i]
      this.firstLive.set(id, at)
      if (at < this.firstLiveMin) this.firstLiveMin = at
    }
    this.held.push({ cycle, info })
    this.heldRows += cycle.n
    // a read-back that never ends must not hold every cycle in memory
    while (this.heldRows > this.maxHeldRows && this.held.length > 1) {
      const oldest = this.held.shift() as Held
      this.heldRows -= oldest.cycle.n
      this.flushedEarly++
      this.toOrdered(oldest)
    }
  }

  private toOrdered (h: Held): void {
    for (const s of this.stages) {
      if (s.ordered === true && s.cycle !== undefined) this.run(s, 'cycle', () => s.cycle?.(h.cycle, h.info))
    }
  }

  private run (s: Stage, what: string, fn: () => void): void {
    try {
      fn()
    } catch (err: any) {
      this.failures.set(s.name, (this.failures.get(s.name) ?? 0) + 1)
      this.opts.log.error({ stage: s.name, err: String(err?.message ?? err) }, `pipeline stage failed (${what})`)
    }
  }
}

function maxAt (b: ResultBatch): number {
  let max = -Infinity
  for (let i = 0; i < b.n; i++) if (b.at[i] > max) max = b.at[i]
  return max
}

/** A copy of the batch without the rows at or after each device's first held live result (rare: only when the files overlap live cycles). */
function withoutLive (b: ResultBatch, firstLive: Map<number, number>): ResultBatch {
  const keep: number[] = []
  for (let i = 0; i < b.n; i++) {
    const live = firstLive.get(b.deviceId[i])
    if (live === undefined || b.at[i] < live) keep.push(i)
  }
  if (keep.length === b.n) return b
  const pick = <A extends Float64Array | Uint8Array | Uint32Array>(src: A, make: (n: number) => A): A => {
    const out = make(keep.length)
    for (let j = 0; j < keep.length; j++) out[j] = src[keep[j]]
    return out
  }
  return {
    n: keep.length,
    at: pick(b.at, (n) => new Float64Array(n)),
    deviceId: pick(b.deviceId, (n) => new Float64Array(n)),
    rtt: pick(b.rtt, (n) => new Float64Array(n)),
    ok: pick(b.ok, (n) => new Uint8Array(n)),
    ip: pick(b.ip, (n) => new Uint32Array(n)),
    hostname: pick(b.hostname, (n) => new Uint32Array(n)),
    error: pick(b.error, (n) => new Uint32Array(n)),
    strings: b.strings
  }
}
