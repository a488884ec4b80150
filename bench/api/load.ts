/**
 * Loading one URL with autocannon (from a second process) and the servers the service is compared
 * with: a bare node:http server and a plain Fastify with one route, each sending the same bytes with
 * the same headers, in a process of its own.
 */
import { execFileSync, spawn } from 'node:child_process'
import { get as httpGet } from 'node:http'
import { rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cpuSeconds } from '../proc-stats.js'

export interface Raw { status: number, headers: Record<string, string>, body: Buffer }

/** the bytes as sent (fetch would decode them) */
export function getRaw (url: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    httpGet(url, { headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const h: Record<string, string> = {}
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h[k] = v
        resolve({ status: res.statusCode ?? 0, headers: h, body: Buffer.concat(chunks) })
      })
    }).on('error', reject)
  })
}

/** the headers of an answer that a server sets itself (or that depend on the moment) */
const OWN = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', 'content-type'])

/**
 * The headers of an answer the floors are given to send, so that they send the same bytes as the
 * service: all of them (security headers, shard, ETag, Vary, ...), except those every server makes
 * itself (Date, Content-Length, the connection's; Content-Type, which the floors set, JSON)
 */
export function answerHeaders (headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !OWN.has(k)))
}

/** the bytes of a header block as parsed back (name: value CRLF each), Date left out: it varies by the second */
export function headerBytes (headers: Record<string, string>): number {
  return Object.entries(headers).filter(([k]) => k !== 'date').reduce((n, [k, v]) => n + k.length + v.length + 4, 0)
}

export interface Load {
  route: string
  rps: number
  /** milliseconds, to 0.01 (of the 2xx answers) */
  p50: number
  p99: number
  errors: number
  requests: number
  /**
   * CPU seconds (all threads) the server process spent per 10,000 requests answered during the run:
   * unlike latency, it depends little on what else the machine is doing
   */
  cpu_per_10k: number | null
  /**
   * the share of the run's wall time the service's main thread spent in garbage-collection pauses, from
   * its own /metrics (prom-client's mpm_nodejs_gc_duration_seconds): shows a run that fell into the
   * collection storm of README's issue 17 section; absent for the bare servers
   */
  gc_share?: number
}

/** one run's figures on a log line (each run is logged as it ends: a bench that fails late keeps them) */
export function loadLine (l: Load): string {
  const gc = l.gc_share === undefined ? '' : `, GC pauses ${gcPercent(l.gc_share)} % of the time`
  return `${l.rps} req/s, p99 ${l.p99} ms, ${l.cpu_per_10k ?? '-'} CPU s / 10k${gc}, errors ${l.errors}`
}

/** a run's GC share in percent, to 0.1, as every bench prints it ('-' when not measured) */
export const gcPercent = (share: number | null | undefined): string => share === null || share === undefined ? '-' : (share * 100).toFixed(1)

/** seconds the service at `base` has spent in GC pauses since it started, every kind (its /metrics) */
export async function gcSeconds (base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text()
  let sum = 0
  for (const m of text.matchAll(/^mpm_nodejs_gc_duration_seconds_sum\{[^}]*\} (\S+)$/gm)) sum += Number(m[1])
  return sum
}

/** a load of the service at `base`, with the share of the load's time its main thread spent in GC pauses */
export async function withGcShare (base: string, run: () => Load): Promise<Load> {
  const g0 = await gcSeconds(base)
  const t0 = performance.now()
  const l = run()
  const share = (await gcSeconds(base) - g0) / ((performance.now() - t0) / 1000)
  return { ...l, gc_share: Number(share.toFixed(4)) }
}

/** the middle value (the upper one of an even count), as the API benches take their figures over rounds */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/**
 * The median of each round's service/bare p99 ratio, to 0.01 ('-' without pairs). Each round loads the
 * service and the bare server minutes apart at most; between rounds both the machine's speed and the
 * service's own state (its garbage collector's, README issue 17 section) move by a third or more, which
 * the ratio of the two medians does not cancel.
 */
export function pairRatio (service: number[], bare: number[]): string {
  return service.length === 0 || service.length !== bare.length ? '-' : median(service.map((x, j) => x / bare[j])).toFixed(2)
}

export interface LoadOptions { root: string, connections: number, duration: number, pid?: number }

export function autocannon (url: string, headers: Record<string, string>, o: LoadOptions): Load {
  const cpu0 = o.pid === undefined ? 0 : cpuSeconds(o.pid).own
  // autocannon-run.mjs: autocannon with latencies to the microsecond (its own histogram keeps whole ms)
  const job = JSON.stringify({ url, connections: o.connections, duration: o.duration, headers })
  const out = execFileSync(process.execPath, [join(o.root, 'bench/api/autocannon-run.mjs'), job], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const cpu = o.pid === undefined ? null : cpuSeconds(o.pid).own - cpu0
  const r = JSON.parse(out)
  const answered = r.requests.total as number
  const ms = (x: number | null) => x === null ? NaN : Number(x.toFixed(2))
  return {
    route: url.replace(/^http:\/\/[^/]+/, ''),
    rps: Math.round(r.requests.average),
    p50: ms(r.latency_exact.p50),
    p99: ms(r.latency_exact.p99),
    errors: r.errors + r.non2xx + r.timeouts,
    requests: answered,
    cpu_per_10k: cpu === null || answered === 0 ? null : Number((cpu / answered * 10_000).toFixed(3))
  }
}

export type FloorKind = 'node' | 'fastify'

const SCRIPTS: Record<FloorKind, string> = {
  node: `const http = require('node:http'); const body = require('node:fs').readFileSync(process.env.BODY_FILE);
    const headers = { ...JSON.parse(process.env.HEADERS), 'content-type': 'application/json; charset=utf-8', 'content-length': body.length };
    const s = http.createServer((req, res) => { res.writeHead(200, headers); res.end(body) });
    // Fastify's default, so that the Keep-Alive header (timeout=72) is the same bytes
    s.keepAliveTimeout = 72000;
    s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'))`,
  // Fastify as the service makes it (a logger, no request logging), one route, no plugins: what Fastify
  // itself costs (its log goes nowhere: stdout says the port)
  fastify: `const { createRequire } = require('node:module'); const req = createRequire(process.env.ROOT + '/package.json');
    const Fastify = req('fastify'); const body = require('node:fs').readFileSync(process.env.BODY_FILE);
    const headers = { ...JSON.parse(process.env.HEADERS), 'content-type': 'application/json; charset=utf-8' };
    const app = Fastify({ logger: { level: 'info', stream: require('node:fs').createWriteStream('/dev/null') }, logController: new Fastify.LogController({ disableRequestLogging: true }) });
    app.get('/*', (request, reply) => { reply.headers(headers).send(body) });
    app.listen({ port: 0, host: '127.0.0.1' }).then(() => process.stdout.write(String(app.server.address().port) + '\\n'))`
}

export interface Floor { url: string, pid: number, stop: () => void }

/** A server in its own process that answers every request with `body` and `headers` (`execArgv`: node's flags for it, e.g. a profiler's) */
export async function startFloor (kind: FloorKind, root: string, body: Buffer, headers: Record<string, string>, execArgv: string[] = []): Promise<Floor> {
  const file = join(tmpdir(), `mpm-bench-api-body-${process.pid}-${kind}`)
  writeFileSync(file, body)
  const child = spawn(process.execPath, [...execArgv, '-e', SCRIPTS[kind]], { env: { BODY_FILE: file, HEADERS: JSON.stringify(headers), ROOT: root }, stdio: ['ignore', 'pipe', 'inherit'] })
  const stop = () => { child.kill('SIGTERM'); rmSync(file, { force: true }) }
  try {
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8').once('data', (d: string) => resolve(d.trim()))
      child.once('exit', () => reject(new Error(`${kind} floor server exited`)))
    })
    return { url: `http://127.0.0.1:${port}/`, pid: child.pid!, stop }
  } catch (err) {
    stop()
    throw err
  }
}

/**
 * What differs between two answers (status, body, and headers but Date), '' when they are the same
 * bytes: a floor compared with the service must send what the service sends
 */
export function answerDiff (want: Raw, got: Raw): string {
  const diffs: string[] = []
  if (want.status !== got.status) diffs.push(`status ${got.status}, not ${want.status}`)
  if (!want.body.equals(got.body)) diffs.push(`body of ${got.body.length} bytes, not ${want.body.length}`)
  for (const k of new Set([...Object.keys(want.headers), ...Object.keys(got.headers)])) {
    if (k !== 'date' && want.headers[k] !== got.headers[k]) diffs.push(`${k}: ${got.headers[k] ?? '(none)'}, not ${want.headers[k] ?? '(none)'}`)
  }
  return diffs.join('; ')
}

/** the floor of what any server can do here: a bare node:http server with the same bytes and headers (checked against `answer`) */
export async function withBareServer (root: string, answer: Raw, run: (url: string, pid: number) => Load): Promise<Load> {
  const f = await startFloor('node', root, answer.body, answerHeaders(answer.headers))
  try {
    const diff = answerDiff(answer, await getRaw(f.url))
    if (diff !== '') throw new Error(`the bare server does not send the service's answer: ${diff}`)
    return run(f.url, f.pid)
  } finally {
    f.stop()
  }
}
