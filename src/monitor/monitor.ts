import type { Log } from '../lib/log.js'
import type { Device } from '../inventory/filter-inventory.js'
import { formatLocalIso } from '../lib/local-time.js'
import { runCycle, type CycleResult, type PingMany } from './cycle.js'

/** Where the scheduler reads the time and sets its timers: the real ones, or a fake one in tests. */
export interface MonitorClock {
  now (): number
  setTimeout (fn: () => void, ms: number): unknown
  clearTimeout (handle: unknown): void
}

const systemClock: MonitorClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout)
}

export interface MonitorOptions {
  intervalMs: number
  /** bound on waiting for a cycle in flight when stopping */
  stopGraceMs: number
  /** the devices of the cycle of this slot (slot = the cycle's scheduled start / interval) */
  devices: (slot: number) => Device[]
  /** pings the targets; the signal aborts an abandoned cycle */
  ping: (targets: Parameters<PingMany>[0], signal: AbortSignal) => ReturnType<PingMany>
  /** consumes a finished cycle (CSV writer, status cache); must not throw */
  onCycle: (cycle: CycleResult, info: CycleInfo) => Promise<void> | void
  log: Log
  /** every time read and every timer of the scheduler; the real clock by default */
  clock?: MonitorClock
  /** the time read alone (timers stay those of clock); kept for the callers that pass only this */
  now?: () => number
  /**
   * start each cycle at a multiple of the interval on the wall clock (cluster mode: every instance's
   * cycle of a slot starts at the same moment, so a hand-over at a cycle boundary misses none and
   * doubles none); off by default: the first cycle starts at once
   */
  alignToInterval?: boolean
}

/** The last finished cycle; its shape is the API's (src/schemas/service.ts). */
export type CycleInfo = import('../schemas/service.js').CycleInfo

export interface MonitorStatus {
  running: boolean
  cycles: number
  overruns: number
  abandoned_cycles: number
  cycle_in_flight: boolean
  last_cycle: CycleInfo | null
}

/**
 * Fixed-rate scheduler: cycle k starts at start + k·interval; never two cycles at once. A cycle that
 * overruns is followed at once by the next (missed slots are skipped, counted as an overrun).
 */
export class Monitor {
  private running = false
  private timer: unknown = null
  private inFlight: Promise<void> | null = null
  private abort: AbortController | null = null
  private nextAt = 0
  private cycles = 0
  private overruns = 0
  private abandoned = 0
  private lastCycle: CycleInfo | null = null
  private readonly clock: MonitorClock
  private readonly now: () => number

  constructor (private readonly opts: MonitorOptions) {
    const clock = opts.clock ?? systemClock
    this.clock = clock
    this.now = opts.now ?? (() => clock.now())
  }

  /** cycles completed so far */
  get cycleCount (): number {
    return this.cycles
  }

  status (): MonitorStatus {
    return { running: this.running, cycles: this.cycles, overruns: this.overruns, abandoned_cycles: this.abandoned, cycle_in_flight: this.inFlight !== null, last_cycle: this.lastCycle }
  }

  /** Idempotent. The first cycle starts at once. */
  start (): void {
    if (this.running) return
    this.running = true
    this.nextAt = this.aligned(this.now())
    this.opts.log.info({ interval_s: this.opts.intervalMs / 1000 }, 'monitor started')
    this.schedule()
  }

  /** Idempotent. Waits for the cycle in flight (at most stopGraceMs; then it is abandoned and its results dropped). */
  async stop (): Promise<void> {
    const wasRunning = this.running
    this.running = false
    if (this.timer !== null) this.clock.clearTimeout(this.timer)
    this.timer = null
    const flight = this.inFlight
    if (flight !== null) {
      let timeout: unknown
      const expired = await Promise.race([
        flight.then(() => false),
        new Promise<boolean>((resolve) => { timeout = this.clock.setTimeout(() => resolve(true), this.opts.stopGraceMs) })
      ])
      this.clock.clearTimeout(timeout)
      if (expired) {
        this.abandoned++
        this.opts.log.warn({ grace_ms: this.opts.stopGraceMs }, 'abandoned the cycle in flight')
        this.abort?.abort()
        await flight
      }
    }
    if (wasRunning) this.opts.log.info({}, 'monitor stopped')
  }

  private aligned (t: number): number {
    return this.opts.alignToInterval === true ? Math.ceil(t / this.opts.intervalMs) * this.opts.intervalMs : t
  }

  private schedule (): void {
    if (!this.running) return
    const delay = Math.max(0, this.nextAt - this.now())
    this.timer = this.clock.setTimeout(() => {
      this.timer = null
      this.inFlight = this.cycle().finally(() => {
        this.inFlight = null
        this.schedule()
      })
    }, delay)
  }

  private async cycle (): Promise<void> {
    const started = this.now()
    const abort = new AbortController()
    this.abort = abort
    const devices = this.opts.devices(Math.round(this.nextAt / this.opts.intervalMs))
    const number = this.cycles + 1
    let result: CycleResult
    try {
      result = await runCycle(devices, (t) => this.opts.ping(t, abort.signal), this.now)
    } catch (err: any) {
      this.opts.log.error({ err: err?.message }, 'cycle failed')
      return
    }
    if (abort.signal.aborted) return
    const ended = this.now()
    this.cycles = number
    const info: CycleInfo = { number, started_at: formatLocalIso(started), duration_ms: ended - started, devices: devices.length, up: result.up, down: result.down }
    this.lastCycle = info
    try {
      await this.opts.onCycle(result, info)
    } catch (err: any) {
      this.opts.log.error({ err: err?.message }, 'storing cycle results failed')
    }
    this.opts.log.info({ cycle: number, devices: info.devices, up: info.up, down: info.down, duration_ms: info.duration_ms }, 'cycle done')
    this.nextAt += this.opts.intervalMs
    const finished = this.now()
    if (finished > this.nextAt) {
      this.overruns++
      this.opts.log.warn({ cycle: number, duration_ms: finished - started, interval_ms: this.opts.intervalMs, overruns: this.overruns }, 'cycle overran the interval; next cycle starts now')
      // aligned: a cycle that can still start within its own slot does (late); only slots already over are skipped
      this.nextAt = this.opts.alignToInterval === true && finished < this.nextAt + this.opts.intervalMs ? this.nextAt : this.aligned(finished)
    }
  }
}
