import { availableParallelism } from 'node:os'
import { Piscina } from 'piscina'
import { fpingPacingMs } from './fping-command.js'
import { judgeCheck, type PingProgramCheck } from './ping-program.js'
import { mapLimit } from './run-ping.js'
import { decodeOutcomes, mergeOutcomes, type FpingTask, type PingBackend, type PingFlavor, type PingTask, type PingTaskResult, type TargetOutcome } from './types.js'

// run the worker from source (.ts) under the test loader, from dist/ (.js) when built
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
const WORKER_FILE = new URL(`../../workers/ping-worker${ext}`, import.meta.url).href

/**
 * Largest batch for one fping process. Every raw ICMP socket receives a copy of every echo reply on
 * the host, so n fping processes in flight each read all n batches' replies: CPU grows with n and
 * their socket buffers overflow in bursts (measured on loopback, 10,000 targets: 1 process 0.26 s CPU
 * and exact; 4 processes 0.56 s and 11 reachable targets reported down; 20 processes 1.0 s). One
 * process sends 50,000 probes back to back in about 1.1 s with every reply read, so batches are as
 * large as that.
 */
export const FPING_DEFAULT_BATCH = 50_000
// fping's own work after its timeout (exit, output) and the worker's are far below this
const FPING_KILL_GRACE_MS = 2000

export interface PingEngineOptions {
  /** which program pings: one ping process per target, or one fping process per batch (default ping) */
  backend?: PingBackend
  /** the ping program (ping backend, and the fallback of auto) */
  command: string
  flavor: PingFlavor
  /** the fping program */
  fpingCommand?: string
  /** most targets per fping process */
  fpingBatchSize?: number
  /** the cycle interval: fping spreads a batch over part of the slack between timeout and interval */
  intervalMs?: number
  timeoutMs: number
  /**
   * Most ping processes in flight at once, over all threads (MAX_PING_WORKERS): ping backend, one
   * process per target; fping backend, one process per batch.
   */
  maxInFlight: number
  /** false: one process at a time, in order */
  parallel: boolean
  /** true when the backend was chosen by PING_BACKEND=auto: an unusable fping then falls back to ping */
  fallbackToPing?: boolean
  onError?: (err: Error) => void
}

export interface PingTarget {
  target: string
  family: 4 | 6 | 0
}

/** the young generation of each ping thread, MB (see the pool's resourceLimits) */
export const PING_THREAD_YOUNG_MB = 8

/**
 * Main-thread side of the ping pool: splits targets over Piscina worker threads so that no more than
 * `maxInFlight` ping (or fping) processes run at once, and gathers the outcomes.
 */
export class PingEngine {
  readonly threads: number
  private currentBackend: PingBackend
  private readonly pool: Piscina<PingTask | FpingTask, PingTaskResult>

  constructor (private readonly opts: PingEngineOptions) {
    this.currentBackend = opts.backend ?? 'ping'
    const inFlight = opts.parallel ? opts.maxInFlight : 1
    this.threads = Math.max(1, Math.min(availableParallelism(), inFlight, 4))
    this.pool = new Piscina({
      filename: WORKER_FILE,
      minThreads: 1,
      maxThreads: this.threads,
      idleTimeout: 60_000,
      // an fping task only waits for its child process: several may share a thread
      concurrentTasksPerWorker: this.currentBackend === 'fping' ? Math.ceil(inFlight / this.threads) : 1,
      // a task never waits long in the queue: there are never more tasks in flight than the pool takes
      maxQueue: 'auto',
      // with V8's default young generation a ping thread kept 30 MB of new space resident (of its
      // 58 MB of heap, measured at 50,000 devices, 50,000 addresses per fping task): memory the
      // service's 250 MB budget needs elsewhere; a smaller one costs the thread more scavenges
      resourceLimits: { maxYoungGenerationSizeMb: PING_THREAD_YOUNG_MB }
    })
    this.pool.on('error', (err: Error) => opts.onError?.(err))
  }

  /** The backend in use: fping or ping. */
  get backend (): PingBackend {
    return this.currentBackend
  }

  /** The program the backend runs. */
  get program (): string {
    return this.currentBackend === 'fping' ? this.fpingCommand : this.opts.command
  }

  private get fpingCommand (): string {
    return this.opts.fpingCommand ?? 'fping'
  }

  async pingAll (targets: PingTarget[], signal?: AbortSignal): Promise<Map<string, TargetOutcome>> {
    const out = new Map<string, TargetOutcome>()
    if (targets.length === 0) return out
    decodeOutcomes(targets.map((t) => t.target), await this.pingColumns(targets, signal), out)
    return out
  }

  /**
   * The outcomes of the targets as one table of columns in the targets' order (what the monitor's
   * cycle reads, by index): no object and no Map entry per target on the main thread.
   */
  async pingColumns (targets: PingTarget[], signal?: AbortSignal): Promise<PingTaskResult> {
    if (targets.length === 0) return mergeOutcomes(0, [])
    const tasks: Array<{ offset: number, task: PingTask | FpingTask }> = this.currentBackend === 'fping' ? this.fpingTasks(targets) : this.pingTasks(targets)
    const run = ({ offset, task }: { offset: number, task: PingTask | FpingTask }) => this.pool.run(task, { signal }).then((r: PingTaskResult) => ({ offset, r }))
    const parts = this.currentBackend === 'fping'
      ? await mapLimit(tasks, this.opts.parallel ? this.opts.maxInFlight : 1, run)
      : await Promise.all(tasks.map(run))
    return mergeOutcomes(targets.length, parts)
  }

  /**
   * Pings 127.0.0.1 once through the pool to find out whether the program exists and may be used.
   * When auto chose fping and fping cannot ping, the engine switches to ping and checks that.
   */
  async checkProgram (): Promise<PingProgramCheck> {
    const check = async (): Promise<PingProgramCheck> => {
      const o = (await this.pingAll([{ target: '127.0.0.1', family: 4 }])).get('127.0.0.1')
      const verdict = o === undefined ? { usable: false, error: 'No result from ping worker' } : judgeCheck(o)
      return { ...verdict, command: this.program, flavor: this.opts.flavor, backend: this.currentBackend }
    }
    const first = await check()
    if (first.usable || this.currentBackend !== 'fping' || this.opts.fallbackToPing !== true) return first
    this.currentBackend = 'ping'
    return await check()
  }

  /** Tasks over consecutive slices of the targets, each with the index of its first target. */
  private pingTasks (targets: PingTarget[]): Array<{ offset: number, task: PingTask }> {
    const base = { timeoutMs: this.opts.timeoutMs, command: this.opts.command, flavor: this.opts.flavor }
    if (!this.opts.parallel) {
      return [{ offset: 0, task: { ...base, targets: targets.map((t) => t.target), families: targets.map((t) => t.family), concurrency: 1 } }]
    }
    // k tasks, each with a share of the in-flight budget; shares add up to maxInFlight exactly
    const tasks: Array<{ offset: number, task: PingTask }> = []
    const k = Math.min(this.threads, targets.length)
    const per = Math.ceil(targets.length / k)
    for (let i = 0; i < k; i++) {
      const slice = targets.slice(i * per, (i + 1) * per)
      if (slice.length === 0) continue
      const concurrency = Math.floor(this.opts.maxInFlight / k) + (i < this.opts.maxInFlight % k ? 1 : 0)
      tasks.push({ offset: i * per, task: { ...base, targets: slice.map((t) => t.target), families: slice.map((t) => t.family), concurrency: Math.max(1, concurrency) } })
    }
    return tasks
  }

  /** As few batches as the batch size allows, of even size. */
  private fpingTasks (targets: PingTarget[]): Array<{ offset: number, task: FpingTask }> {
    const batchSize = Math.max(1, this.opts.fpingBatchSize ?? FPING_DEFAULT_BATCH)
    const k = Math.ceil(targets.length / batchSize)
    const per = Math.ceil(targets.length / k)
    const tasks: Array<{ offset: number, task: FpingTask }> = []
    for (let i = 0; i < k; i++) {
      const slice = targets.slice(i * per, (i + 1) * per)
      if (slice.length === 0) continue
      const pacingMs = fpingPacingMs(slice.length, this.opts.intervalMs ?? 0, this.opts.timeoutMs)
      tasks.push({
        offset: i * per,
        task: {
          kind: 'fping',
          targets: slice.map((t) => t.target),
          families: slice.map((t) => t.family),
          timeoutMs: this.opts.timeoutMs,
          pacingMs,
          // sending takes about pacing + 0.12 ms per probe; twice that, the timeout and a grace
          deadlineMs: Math.ceil(this.opts.timeoutMs + 2 * slice.length * (pacingMs + 0.15) + FPING_KILL_GRACE_MS),
          command: this.fpingCommand
        }
      })
    }
    return tasks
  }

  async close (): Promise<void> {
    await this.pool.destroy()
  }
}
