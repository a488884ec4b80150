import { ERR_TIMEOUT, ERR_TTL_EXCEEDED, ERR_UNKNOWN_HOST, ERR_UNREACHABLE } from '../ping/types.js'

/** The fixed set of `reason` label values: bounded, whatever text a ping program prints. */
export const FAILURE_REASONS = ['timeout', 'unreachable', 'unknown_host', 'not_permitted', 'program_missing', 'other'] as const
export type FailureReason = typeof FAILURE_REASONS[number]

/** The reason label of a failed ping's error_message (see src/ping/failure-text.ts for the texts). */
export function failureReason (message: string): FailureReason {
  if (message === ERR_TIMEOUT) return 'timeout'
  if (message === ERR_UNREACHABLE || message === ERR_TTL_EXCEEDED) return 'unreachable'
  // also "Unknown host (name resolution failed)"
  if (message.startsWith(ERR_UNKNOWN_HOST)) return 'unknown_host'
  if (message.startsWith('Ping not permitted') || message.startsWith('Ping program not executable')) return 'not_permitted'
  if (message.startsWith('Ping program not found')) return 'program_missing'
  return 'other'
}
