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

export interface PingTaskResult {
  results: TargetOutcome[]
}

export const ERR_TIMEOUT = 'No response (timeout)'
export const ERR_UNREACHABLE = 'Destination host unreachable'
export const ERR_UNKNOWN_HOST = 'Unknown host'
export const ERR_RESOLVE_FAILED = 'Unknown host (name resolution failed)'
export const ERR_TTL_EXCEEDED = 'Time to live exceeded'
