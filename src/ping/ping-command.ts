import { ERR_TIMEOUT, type PingFlavor, type PingOutcome } from './types.js'

export interface CommandLine {
  file: string
  args: string[]
}

/**
 * The argument list for one echo request. No shell is involved, and targets were validated as IP
 * literals or hostnames (never starting with '-'); iputils also gets '--' before the target.
 */
export function buildPingCommand (flavor: PingFlavor, command: string, target: string, family: 4 | 6 | 0, timeoutMs: number): CommandLine {
  const seconds = Math.max(timeoutMs / 1000, 0.001)
  switch (flavor) {
    case 'iputils': {
      const args = ['-n', '-c', '1', '-W', formatSeconds(seconds)]
      if (family === 6) args.push('-6')
      if (family === 4) args.push('-4')
      return { file: command, args: [...args, '--', target] }
    }
    case 'busybox':
      // BusyBox takes whole seconds only and has no '--'
      return { file: command, args: [...(family === 6 ? ['-6'] : []), '-c', '1', '-W', String(Math.max(1, Math.ceil(seconds))), target] }
    case 'bsd':
      // macOS/BSD: -W is in milliseconds on macOS; -t bounds the whole run in seconds
      return { file: family === 6 ? 'ping6' : command, args: ['-n', '-c', '1', '-t', String(Math.max(1, Math.ceil(seconds))), target] }
    case 'windows':
      return { file: command, args: ['-n', '1', '-w', String(Math.max(1, Math.round(timeoutMs))), ...(family === 6 ? ['-6'] : family === 4 ? ['-4'] : []), target] }
  }
}

function formatSeconds (s: number): string {
  return Number.isInteger(s) ? String(s) : s.toFixed(3).replace(/0+$/, '')
}

export interface ProcessOutput {
  code: number | null
  stdout: string
  stderr: string
  /** the process had to be killed because it outlived its deadline */
  killed: boolean
  /** spawn failure code such as ENOENT or EACCES */
  spawnError?: string
}

const RTT = /time\s*[=<]\s*([0-9]+(?:[.,][0-9]+)?)\s*ms/i

export function parsePingOutput (command: string, out: ProcessOutput): PingOutcome {
  if (out.spawnError !== undefined) return fail(describeSpawnError(command, out.spawnError))
  const text = `${out.stdout}\n${out.stderr}`
  const rtt = RTT.exec(out.stdout)
  if (out.code === 0 && rtt !== null) {
    return { success: true, response_time_ms: Number(rtt[1].replace(',', '.')), error_message: '' }
  }
  if (out.killed) return fail(ERR_TIMEOUT)
  if (/destination (host|net|network|port) unreachable|host unreachable|network is unreachable/i.test(text)) {
    return fail('Destination host unreachable')
  }
  if (/name or service not known|unknown host|cannot resolve|could not find host|bad address|no address associated/i.test(text)) {
    return fail('Unknown host')
  }
  if (/temporary failure in name resolution/i.test(text)) return fail('Unknown host (name resolution failed)')
  if (/operation not permitted|permission denied|socket: /i.test(text)) return fail('Ping not permitted: ' + firstLine(out.stderr))
  if (/timed out|100% packet loss|0 received|0 packets received/i.test(text)) return fail(ERR_TIMEOUT)
  if (out.code === 0 && rtt === null) return fail('Unreadable ping output: ' + firstLine(out.stdout))
  const line = firstLine(out.stderr) || firstLine(out.stdout)
  return fail(`Ping failed (exit ${String(out.code)})${line === '' ? '' : ': ' + line}`)
}

export function describeSpawnError (command: string, code: string): string {
  if (code === 'ENOENT') return `Ping program not found: ${command}`
  if (code === 'EACCES' || code === 'EPERM') return `Ping program not executable: ${command}`
  return `Ping program could not start (${code}): ${command}`
}

function fail (error_message: string): PingOutcome {
  return { success: false, response_time_ms: null, error_message }
}

function firstLine (s: string): string {
  return (s.split('\n').find((l) => l.trim() !== '') ?? '').trim().slice(0, 200)
}
