import { ERR_TIMEOUT, type PingFlavor } from './types.js'
import { pingOne } from './run-ping.js'

export function defaultFlavor (platform: NodeJS.Platform = process.platform): PingFlavor {
  if (platform === 'win32') return 'windows'
  if (platform === 'darwin' || platform.endsWith('bsd')) return 'bsd'
  return 'iputils'
}

export interface PingProgramCheck {
  usable: boolean
  command: string
  flavor: PingFlavor
  error: string | null
}

/** Pings the loopback address once to find out whether the ping program exists and may be used. */
export async function checkPingProgram (command: string, flavor: PingFlavor): Promise<PingProgramCheck> {
  const o = await pingOne({ command, flavor, timeoutMs: 2000 }, '127.0.0.1', 4)
  // a loopback that does not answer says nothing about the program itself
  const usable = o.success || o.error_message === ERR_TIMEOUT
  return { usable, command, flavor, error: usable ? null : o.error_message }
}
