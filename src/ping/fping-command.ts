import { describeFailure, describeSpawnError, fail, firstLine } from './failure-text.js'
import type { CommandLine, ProcessOutput } from './ping-command.js'
import { ERR_TIMEOUT, ERR_UNREACHABLE, type PingOutcome } from './types.js'

/**
 * One fping for a whole batch, targets on stdin: default mode prints one line per target
 * ("<t> is alive (0.05 ms)" as replies arrive, "<t> is unreachable" at the end), -e adds the round
 * trip, -r 0 sends a single probe, -t is the wait for it, -i the pause between two probes.
 * No -4/-6: one process pings IPv4 and IPv6 targets alike.
 */
export function buildFpingCommand (command: string, timeoutMs: number, pacingMs: number): CommandLine {
  return { file: command, args: ['-e', '-r', '0', '-t', String(Math.max(1, Math.round(timeoutMs))), '-i', formatMs(pacingMs), '-f', '-'] }
}

function formatMs (ms: number): string {
  return ms <= 0 ? '0' : String(Math.round(ms * 100) / 100)
}

/**
 * The pause between two probes of one fping process. A batch is spread over a quarter of the slack
 * between the timeout and the cycle interval, so that a small fleet is not sent in one burst; but fping
 * spends about 0.12 ms per paced probe in its timer loop (measured: -i 0.1 sends 10,000 probes in 2.1 s,
 * -i 0 in 0.2 s), so below 0.25 ms pacing only slows a big batch down and it is sent back to back.
 */
export function fpingPacingMs (batchSize: number, intervalMs: number, timeoutMs: number): number {
  const window = Math.max(0, intervalMs - timeoutMs) / 4
  const gap = window / Math.max(1, batchSize)
  if (gap < 0.25) return 0
  return Math.min(10, Math.floor(gap * 100) / 100)
}

const ALIVE = /^(\S+) is alive(?: \(([0-9.]+) ms\))?/
const UNREACHABLE = /^(\S+) is unreachable/
const SEND_ERROR = /^(\S+): error while sending ping: (.*)$/
const ICMP_ERROR = /^(ICMP.*?) from \S+ for ICMP.*? sent to (\S+)/
const TARGET_ERROR = /^(\S+): (.+)$/

/**
 * Reads fping's output line by line (stdout and stderr) and gives every target of the batch one
 * outcome with the same texts as the ping backend.
 */
export class FpingOutputParser {
  private readonly alive = new Map<string, { rtt: number | null, at: number }>()
  private readonly unreachable = new Set<string>()
  private readonly sendErrors = new Map<string, string>()
  private readonly icmpErrors = new Map<string, string>()
  private readonly targetErrors = new Map<string, string>()
  private generalError = ''
  private readonly targets: Set<string>

  /** targets: a Set is kept as it is (not copied; the caller does not change it afterwards) */
  constructor (targets: Iterable<string>) {
    this.targets = targets instanceof Set ? targets : new Set(targets)
  }

  line (line: string, stream: 'stdout' | 'stderr', now: number = Date.now()): void {
    const l = line.trim()
    if (l === '') return
    let m: RegExpExecArray | null
    if (stream === 'stdout') {
      if ((m = ALIVE.exec(l)) !== null) {
        // a duplicate reply must not move the first result
        if (!this.alive.has(m[1])) this.alive.set(m[1], { rtt: m[2] === undefined ? null : Number(m[2]), at: now })
      } else if ((m = UNREACHABLE.exec(l)) !== null) {
        this.unreachable.add(m[1])
      }
      return
    }
    if ((m = SEND_ERROR.exec(l)) !== null) {
      if (!this.sendErrors.has(m[1])) this.sendErrors.set(m[1], m[2])
    } else if ((m = ICMP_ERROR.exec(l)) !== null) {
      if (!this.icmpErrors.has(m[2])) this.icmpErrors.set(m[2], m[1])
    } else if ((m = TARGET_ERROR.exec(l)) !== null && this.targets.has(m[1])) {
      this.targetErrors.set(m[1], m[2])
    } else if (this.generalError === '') {
      this.generalError = l.slice(0, 200)
    }
  }

  /** The first reply of an address (the common case, read without building an outcome). */
  aliveAt (address: string): { rtt: number | null, at: number } | undefined {
    return this.alive.get(address)
  }

  /** The outcome for each target once fping has ended. */
  outcome (target: string, command: string, out: Pick<ProcessOutput, 'code' | 'killed' | 'spawnError'>): PingOutcome & { at?: number } {
    if (out.spawnError !== undefined) return fail(describeSpawnError(command, out.spawnError))
    const a = this.alive.get(target)
    if (a !== undefined) return { success: true, response_time_ms: a.rtt ?? 0, error_message: '', at: a.at }
    const icmp = this.icmpErrors.get(target)
    if (icmp !== undefined) return fail(describeFailure(icmp) ?? ERR_UNREACHABLE)
    const targetError = this.targetErrors.get(target)
    if (targetError !== undefined) return fail(describeFailure(targetError) ?? `Ping failed: ${targetError.slice(0, 200)}`)
    if (this.unreachable.has(target)) {
      const sendError = this.sendErrors.get(target)
      // a probe a local firewall dropped (EPERM) is not answered: iputils ping reports it as a timeout too
      if (sendError === undefined || /operation not permitted/i.test(sendError)) return fail(ERR_TIMEOUT)
      return fail(describeFailure(sendError) ?? `Ping failed: ${sendError.slice(0, 200)}`)
    }
    if (out.killed) return fail(ERR_TIMEOUT)
    const general = this.generalError
    const known = general === '' ? null : describeFailure(general, firstLine(general))
    return fail(known ?? `Ping failed (exit ${String(out.code)})${general === '' ? ': no result for this target' : ': ' + general}`)
  }
}
