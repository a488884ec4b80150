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

export interface PingTaskResult {
  results: TargetOutcome[]
}

export const ERR_TIMEOUT = 'No response (timeout)'
