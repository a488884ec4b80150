import { spawn } from 'node:child_process'
import { buildPingCommand, parsePingOutput, type ProcessOutput } from './ping-command.js'
import type { PingFlavor, TargetOutcome } from './types.js'

// a ping that has not exited this long after its own timeout is killed and counted as a timeout
const KILL_GRACE_MS = 1000
const MAX_OUTPUT = 16 * 1024

export interface PingOptions {
  command: string
  flavor: PingFlavor
  timeoutMs: number
}

export function runProcess (file: string, args: string[], deadlineMs: number): Promise<ProcessOutput> {
  return new Promise((resolve) => {
    let stdout = ''
    let stderr = ''
    let killed = false
    let settled = false
    // detached: a Ctrl-C meant for the service must not kill pings in flight and turn them into false "down"s
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false, detached: true, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } })
    const timer = setTimeout(() => {
      killed = true
      child.kill('SIGKILL')
    }, deadlineMs)
    const done = (out: ProcessOutput) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(out)
    }
    child.stdout.setEncoding('utf8').on('data', (d: string) => { if (stdout.length < MAX_OUTPUT) stdout += d })
    child.stderr.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < MAX_OUTPUT) stderr += d })
    child.on('error', (err: NodeJS.ErrnoException) => done({ code: null, stdout, stderr, killed, spawnError: err.code ?? 'UNKNOWN' }))
    child.on('close', (code) => done({ code, stdout, stderr, killed }))
  })
}

export async function pingOne (opts: PingOptions, target: string, family: 4 | 6 | 0): Promise<TargetOutcome> {
  const cmd = buildPingCommand(opts.flavor, opts.command, target, family, opts.timeoutMs)
  const out = await runProcess(cmd.file, cmd.args, opts.timeoutMs + KILL_GRACE_MS)
  return { target, at: Date.now(), ...parsePingOutput(opts.command, out) }
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping results in input order. */
export async function mapLimit<T, R> (items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const lane = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i], i)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane))
  return results
}
