import { isBusyBox } from './ping-backend.js'
import { ERR_TIMEOUT, type PingBackend, type PingFlavor, type TargetOutcome } from './types.js'

/** The ping dialect of this platform; on Linux, BusyBox's ping when the command is its applet. */
export function defaultFlavor (platform: NodeJS.Platform = process.platform, command?: string): PingFlavor {
  if (platform === 'win32') return 'windows'
  if (platform === 'darwin' || platform.endsWith('bsd')) return 'bsd'
  if (command !== undefined && isBusyBox(command)) return 'busybox'
  return 'iputils'
}

export interface PingProgramCheck {
  usable: boolean
  command: string
  flavor: PingFlavor
  error: string | null
  /** which backend the check was for (ping when not given) */
  backend?: PingBackend
}

/** A loopback that does not answer says nothing about the program itself. */
export function judgeCheck (o: TargetOutcome): { usable: boolean, error: string | null } {
  const usable = o.success || o.error_message === ERR_TIMEOUT
  return { usable, error: usable ? null : o.error_message }
}
