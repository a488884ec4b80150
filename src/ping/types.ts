/** What one ping of one target came to. */
export interface PingOutcome {
  success: boolean
  /** round-trip time in ms, null on failure */
  response_time_ms: number | null
  /** "" on success */
  error_message: string
}

export interface TargetOutcome extends PingOutcome {
  target: string
  /** epoch ms when the result was known */
  at: number
}

/** Which ping program dialect to speak: command line and output format differ per platform. */
export type PingFlavor = 'iputils' | 'busybox' | 'bsd' | 'windows'

/** PING_BACKEND: `auto` picks fping when it is installed, else ping. */
export type PingBackendSetting = 'auto' | 'fping' | 'ping'
export type PingBackend = 'fping' | 'ping'

/** Everything a worker thread needs: workers do not see the main thread's settings. */
export interface PingTask {
  targets: string[]
  /** address family per target: 4, 6, or 0 for a hostname */
  families: Array<4 | 6 | 0>
  timeoutMs: number
  /** most ping processes this task may run at once */
  concurrency: number
  command: string
  flavor: PingFlavor
}

/** One batch for one fping process. */
export interface FpingTask {
  kind: 'fping'
  targets: string[]
  families: Array<4 | 6 | 0>
  timeoutMs: number
  /** fping -i: pause between two echo requests of this process, in ms (0: as fast as the kernel takes them) */
  pacingMs: number
  /** the fping process is killed this long after it started; targets without a result then count as timeouts */
  deadlineMs: number
  command: string
}

/**
 * What a worker thread sends back: the outcome of each target of the task, in the task's order, as
 * columns. The main thread knows the targets; objects would be cloned field by field (and the target
 * strings with them) on both sides, 10,000 of them per cycle.
 */
export interface PingTaskResult {
  success: Uint8Array
  /** NaN: no round-trip time */
  rtt: Float64Array
  at: Float64Array
  /** index into `errors` */
  error: Uint32Array
  /** the distinct error texts ('' first) */
  errors: string[]
}

/**
 * Fills PingTaskResult columns one target at a time, without an outcome object per target (the fping
 * path: 10,000 targets a cycle, nearly all of them the same few shapes). Error texts are indexed as
 * they come; a batch has a handful of distinct ones.
 */
export class OutcomeColumnsBuilder {
  readonly r: PingTaskResult
  private readonly index = new Map<string, number>([['', 0]])

  constructor (n: number) {
    this.r = { success: new Uint8Array(n), rtt: new Float64Array(n), at: new Float64Array(n), error: new Uint32Array(n), errors: [''] }
  }

  ok (i: number, at: number, rttMs: number | null): void {
    this.r.success[i] = 1
    this.r.rtt[i] = rttMs ?? NaN
    this.r.at[i] = at
  }

  failed (i: number, at: number, message: string): void {
    this.r.rtt[i] = NaN
    this.r.at[i] = at
    this.r.error[i] = this.errorIndex(message)
  }

  set (i: number, o: PingOutcome & { at: number }): void {
    this.r.success[i] = o.success ? 1 : 0
    this.r.rtt[i] = o.response_time_ms ?? NaN
    this.r.at[i] = o.at
    this.r.error[i] = this.errorIndex(o.error_message)
  }

  private errorIndex (message: string): number {
    let e = this.index.get(message)
    if (e === undefined) {
      e = this.r.errors.length
      this.r.errors.push(message)
      this.index.set(message, e)
    }
    return e
  }
}

/**
 * The columns of several tasks, each covering the targets [offset, offset + its length) of one list,
 * as one table over the whole list: what the monitor reads the cycle's rows from, by target index,
 * instead of a Map of outcome objects keyed by target.
 */
export function mergeOutcomes (n: number, parts: Array<{ offset: number, r: PingTaskResult }>): PingTaskResult {
  if (parts.length === 1 && parts[0].offset === 0 && parts[0].r.success.length === n) return parts[0].r
  const out: PingTaskResult = { success: new Uint8Array(n), rtt: new Float64Array(n).fill(NaN), at: new Float64Array(n).fill(NaN), error: new Uint32Array(n), errors: [''] }
  const index = new Map<string, number>([['', 0]])
  for (const { offset, r } of parts) {
    out.success.set(r.success, offset)
    out.rtt.set(r.rtt, offset)
    out.at.set(r.at, offset)
    const map = r.errors.map((m) => {
      let e = index.get(m)
      if (e === undefined) {
        e = out.errors.length
        out.errors.push(m)
        index.set(m, e)
      }
      return e
    })
    for (let i = 0; i < r.error.length; i++) out.error[offset + i] = map[r.error[i]]
  }
  return out
}

/** Outcomes of a task's targets (in its order) as columns. */
export function encodeOutcomes (outcomes: TargetOutcome[]): PingTaskResult {
  const n = outcomes.length
  const r: PingTaskResult = { success: new Uint8Array(n), rtt: new Float64Array(n), at: new Float64Array(n), error: new Uint32Array(n), errors: [''] }
  const index = new Map<string, number>([['', 0]])
  for (let i = 0; i < n; i++) {
    const o = outcomes[i]
    r.success[i] = o.success ? 1 : 0
    r.rtt[i] = o.response_time_ms ?? NaN
    r.at[i] = o.at
    let e = index.get(o.error_message)
    if (e === undefined) {
      e = r.errors.length
      r.errors.push(o.error_message)
      index.set(o.error_message, e)
    }
    r.error[i] = e
  }
  return r
}

/** The outcomes back, by target (`targets`: the task's, in its order). */
export function decodeOutcomes (targets: string[], r: PingTaskResult, into: Map<string, TargetOutcome>): void {
  for (let i = 0; i < targets.length; i++) {
    const rtt = r.rtt[i]
    into.set(targets[i], { target: targets[i], at: r.at[i], success: r.success[i] === 1, response_time_ms: Number.isNaN(rtt) ? null : rtt, error_message: r.errors[r.error[i]] })
  }
}

export const ERR_TIMEOUT = 'No response (timeout)'
export const ERR_UNREACHABLE = 'Destination host unreachable'
export const ERR_UNKNOWN_HOST = 'Unknown host'
export const ERR_RESOLVE_FAILED = 'Unknown host (name resolution failed)'
export const ERR_TTL_EXCEEDED = 'Time to live exceeded'
