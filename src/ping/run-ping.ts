import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process'
import { closeSync, openSync, readSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StringDecoder } from 'node:string_decoder'
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

export interface RunOptions {
  /** written to the child's stdin, which is then closed */
  input?: string
  /**
   * Every complete output line, read every `pollMs`; the captured stdout/stderr then stay empty. The
   * child writes into unlinked temporary files instead of pipes: fping writes each line on its own,
   * and reading 10,000 lines from a pipe costs the worker thousands of wake-ups (0.12-0.21 s CPU per
   * 10,000 targets, measured) where polling a file costs a few reads.
   */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void
  pollMs?: number
}

export function runProcess (file: string, args: string[], deadlineMs: number, opts: RunOptions = {}): Promise<ProcessOutput> {
  return opts.onLine === undefined ? runPiped(file, args, deadlineMs, opts.input) : runToFiles(file, args, deadlineMs, opts.onLine, opts)
}

type Exit = Omit<ProcessOutput, 'stdout' | 'stderr'>

/** Spawns the child, feeds its input, and waits for it; kills it at the deadline. */
function supervise (file: string, args: string[], stdio: StdioOptions, deadlineMs: number, input: string | undefined, attach: (child: ChildProcess) => void): Promise<Exit> {
  return new Promise((resolve) => {
    let killed = false
    let settled = false
    // detached: a Ctrl-C meant for the service must not kill pings in flight and turn them into false "down"s
    const child = spawn(file, args, { stdio, shell: false, detached: true, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } })
    const timer = setTimeout(() => {
      killed = true
      child.kill('SIGKILL')
    }, deadlineMs)
    const done = (exit: Exit) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(exit)
    }
    attach(child)
    if (child.stdin !== null) {
      // a child that exits without reading all of its input must not crash the worker with EPIPE
      child.stdin.on('error', () => {})
      child.stdin.end(input)
    }
    child.on('error', (err: NodeJS.ErrnoException) => done({ code: null, killed, spawnError: err.code ?? 'UNKNOWN' }))
    child.on('close', (code) => done({ code, killed }))
  })
}

async function runPiped (file: string, args: string[], deadlineMs: number, input: string | undefined): Promise<ProcessOutput> {
  let stdout = ''
  let stderr = ''
  const exit = await supervise(file, args, [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], deadlineMs, input, (child) => {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => { if (stdout.length < MAX_OUTPUT) stdout += d })
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < MAX_OUTPUT) stderr += d })
  })
  return { ...exit, stdout, stderr }
}

async function runToFiles (file: string, args: string[], deadlineMs: number, onLine: NonNullable<RunOptions['onLine']>, opts: RunOptions): Promise<ProcessOutput> {
  const dir = await mkdtemp(join(tmpdir(), 'mpm-ping-'))
  const out = new LineFile(join(dir, 'stdout'), (l) => onLine(l, 'stdout'))
  const err = new LineFile(join(dir, 'stderr'), (l) => onLine(l, 'stderr'))
  // the open descriptors are all that is needed: nothing is left behind, whatever happens next
  await rm(dir, { recursive: true, force: true })
  const poll = setInterval(() => { out.read(); err.read() }, opts.pollMs ?? 200)
  try {
    const exit = await supervise(file, args, ['pipe', out.fd, err.fd], deadlineMs, opts.input, () => {})
    return { ...exit, stdout: '', stderr: '' }
  } finally {
    clearInterval(poll)
    out.finish()
    err.finish()
  }
}

/**
 * One read buffer per thread for every LineFile: read() is synchronous and decodes what it read before
 * it returns, so concurrent tasks on the thread never see each other's bytes. A fresh 256 KB per fping
 * run would be 64 pages to fault in every cycle (≈20 µs each on this VM).
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024)

/** A file a child writes lines into, read by position as it grows. */
class LineFile {
  readonly fd: number
  private pos = 0
  private rest = ''
  private readonly buf = READ_BUFFER
  private readonly decoder = new StringDecoder('utf8')

  constructor (path: string, private readonly onLine: (line: string) => void) {
    this.fd = openSync(path, 'w+')
  }

  read (): void {
    for (;;) {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, this.pos)
      if (n === 0) return
      this.pos += n
      const parts = (this.rest + this.decoder.write(this.buf.subarray(0, n))).split('\n')
      this.rest = parts.pop() ?? ''
      for (const p of parts) this.onLine(p)
    }
  }

  finish (): void {
    try {
      this.read()
      const last = this.rest + this.decoder.end()
      if (last !== '') this.onLine(last)
    } finally {
      closeSync(this.fd)
    }
  }
}

export async function pingOne (opts: PingOptions, target: string, family: 4 | 6 | 0): Promise<TargetOutcome> {
  const cmd = buildPingCommand(opts.flavor, opts.command, target, family, opts.timeoutMs)
  const out = await runProcess(cmd.file, cmd.args, opts.timeoutMs + KILL_GRACE_MS)
  return { target, at: Date.now(), ...parsePingOutput(cmd.file, out, opts.flavor) }
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
