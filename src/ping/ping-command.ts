import { describeFailure, describeSpawnError, fail, firstLine } from './failure-text.js'
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
  const ms = String(Math.max(1, Math.round(timeoutMs)))
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
      // macOS/FreeBSD: -W is the wait for the reply in milliseconds. Not -t: on OpenBSD that is the TTL.
      // IPv6 needs ping6, whose -w/-W mean something else; the kill deadline bounds it instead.
      return family === 6
        ? { file: 'ping6', args: ['-n', '-c', '1', target] }
        : { file: command, args: ['-n', '-c', '1', '-W', ms, target] }
    case 'windows':
      return { file: command, args: ['-n', '1', '-w', ms, ...(family === 6 ? ['-6'] : family === 4 ? ['-4'] : []), target] }
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

// "64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.113 ms" (iputils, BusyBox, macOS/BSD)
const RTT = /time\s*[=<]\s*([0-9]+(?:[.,][0-9]+)?)\s*ms/i
// Windows: "Reply from 127.0.0.1: bytes=32 time<1ms TTL=128", "Antwort von ...: Bytes=32 Zeit=2ms TTL=64",
// "Réponse de ... : octets=32 temps<1ms TTL=128", "Respuesta desde ...: bytes=32 tiempo<1m TTL=128".
// Reply lines start at the first column; the indented statistics ("Minimum = 0ms, ...") never match.
const RTT_WINDOWS = /^\S.*\b(?:time|zeit|temps|tiempo|tempo)\s*([=<])\s*([0-9]+(?:[.,][0-9]+)?)\s*ms?\b/im

/** Round-trip time from a reply line, or null. Windows' "time<1ms" is stored as its bound, 1 ms. */
export function parseRtt (flavor: PingFlavor, stdout: string): number | null {
  const m = flavor === 'windows' ? RTT_WINDOWS.exec(stdout) : RTT.exec(stdout)
  if (m === null) return null
  return Number(m[flavor === 'windows' ? 2 : 1].replace(',', '.'))
}

export function parsePingOutput (command: string, out: ProcessOutput, flavor: PingFlavor = 'iputils'): PingOutcome {
  if (out.spawnError !== undefined) return fail(describeSpawnError(command, out.spawnError))
  const rtt = parseRtt(flavor, out.stdout)
  // Windows also exits 0 for "Reply from <router>: Destination host unreachable.": no RTT there
  if (out.code === 0 && rtt !== null) return { success: true, response_time_ms: rtt, error_message: '' }
  if (out.killed) return fail(ERR_TIMEOUT)
  const known = describeFailure(`${out.stdout}\n${out.stderr}`, firstLine(out.stderr))
  if (known !== null) return fail(known)
  if (out.code === 0) return fail('Unreadable ping output: ' + firstLine(out.stdout))
  // the banner ("PING x (x) 56(84) bytes of data.", "Pinging x with 32 bytes of data:") says nothing
  const line = firstLine(out.stderr) || firstLine(out.stdout.replace(/^\s*PING(?:ing)? .*$/gim, ''))
  return fail(`Ping failed (exit ${String(out.code)})${line === '' ? '' : ': ' + line}`)
}
