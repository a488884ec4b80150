import { availableParallelism } from 'node:os'
import { Piscina } from 'piscina'
import type { PingFlavor, PingTask, PingTaskResult, TargetOutcome } from './types.js'

// run the worker from source (.ts) under the test loader, from dist/ (.js) when built
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
const WORKER_FILE = new URL(`../../workers/ping-worker${ext}`, import.meta.url).href

export interface PingEngineOptions {
  command: string
  flavor: PingFlavor
  timeoutMs: number
  /** most ping processes in flight at once, over all threads */
  maxInFlight: number
  /** false: one ping at a time, in order */
  parallel: boolean
  onError?: (err: Error) => void
}

export interface PingTarget {
  target: string
  family: 4 | 6 | 0
}

/**
 * Main-thread side of the ping pool: splits targets over Piscina worker threads so that no more than
 * `maxInFlight` ping processes run at once, and gathers the outcomes.
 */
export class PingEngine {
  readonly threads: number
  private readonly pool: Piscina<PingTask, PingTaskResult>

  constructor (private readonly opts: PingEngineOptions) {
    this.threads = Math.max(1, Math.min(availableParallelism(), opts.maxInFlight, 4))
    this.pool = new Piscina({
      filename: WORKER_FILE,
      minThreads: 1,
      maxThreads: this.threads,
      idleTimeout: 60_000,
      // a task never waits long in the queue: there are never more tasks than threads
      maxQueue: 'auto'
    })
    this.pool.on('error', (err: Error) => opts.onError?.(err))
  }

  async pingAll (targets: PingTarget[], signal?: AbortSignal): Promise<Map<string, TargetOutcome>> {
    const out = new Map<string, TargetOutcome>()
    if (targets.length === 0) return out
    const base = { timeoutMs: this.opts.timeoutMs, command: this.opts.command, flavor: this.opts.flavor }
    const tasks: PingTask[] = []
    if (!this.opts.parallel) {
      tasks.push({ ...base, targets: targets.map((t) => t.target), families: targets.map((t) => t.family), concurrency: 1 })
    } else {
      // k tasks, each with a share of the in-flight budget; shares add up to maxInFlight exactly
      const k = Math.min(this.threads, targets.length)
      const per = Math.ceil(targets.length / k)
      for (let i = 0; i < k; i++) {
        const slice = targets.slice(i * per, (i + 1) * per)
        if (slice.length === 0) continue
        const concurrency = Math.floor(this.opts.maxInFlight / k) + (i < this.opts.maxInFlight % k ? 1 : 0)
        tasks.push({ ...base, targets: slice.map((t) => t.target), families: slice.map((t) => t.family), concurrency: Math.max(1, concurrency) })
      }
    }
    const results = await Promise.all(tasks.map((task) => this.pool.run(task, { signal })))
    for (const r of results) for (const o of r.results) out.set(o.target, o)
    return out
  }

  async close (): Promise<void> {
    await this.pool.destroy()
  }
}
