/**
 * What one request costs on the read routes, identity-coded, side by side in one run (issue 17's
 * API target: p99 within 1.25x of a bare node:http server sending the same bytes):
 * - the service of this checkout and, with --baseline DIR, the one built in DIR (one after the
 *   other, on the same generated history);
 * - a plain Fastify with one route sending the same bytes and headers (Fastify's own floor);
 * - a bare node:http server sending them (with the few headers bench:api's bare server sends), and
 *   the same server sending every header the service sent (security headers included): what a
 *   cache answering in front of Fastify could at best cost.
 * For each: requests/s, p99, and CPU seconds of the server process per 10,000 requests, which
 * depends little on what else the shared machine is doing (latency does).
 *
 *   bash test/run-in-netns.sh node dist-bench/bench/api/request-cost.js --baseline /work/baseline
 *
 * --profile DIR: this checkout's service runs under `node --cpu-prof` (the profile is written when
 * it stops, into DIR).
 */
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { loadAverage } from '../availability/costs.js'
import { autocannon, getRaw, startFloor, type FloorKind, type Load } from './load.js'
import { startService } from './service-fixture.js'
import { cpuSeconds } from '../proc-stats.js'

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000' },
    hours: { type: 'string', default: '24' },
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '1' },
    baseline: { type: 'string' },
    profile: { type: 'string' },
    /** a comma-separated subset of the route names below */
    routes: { type: 'string', default: '' }
  }
})
const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const DEVICES = Number(args.devices)
const HOURS = Number(args.hours)
const log = (m: string) => process.stderr.write(m + '\n')
const mid = Math.ceil(DEVICES / 2) + 2
// the routes bench:api loads (its targets), under short names
const ALL: Record<string, string> = {
  status: '/api/ping/status',
  latest: '/api/ping/latest?limit=1000',
  statistics: `/api/ping/statistics?hours=${HOURS}`,
  device: `/api/ping/device/${mid}?hours=1`,
  timeline: `/api/ping/devices/${mid}/timeline?hours=${HOURS}&bucket=300`,
  availability: '/api/ping/availability?window=90d&group_by=location'
}
const names = args.routes === '' ? Object.keys(ALL) : args.routes.split(',')
for (const n of names) if (ALL[n] === undefined) throw new Error(`--routes: unknown ${n}; known: ${Object.keys(ALL).join(', ')}`)
const run = (url: string, pid: number) => autocannon(url, {}, { root: ROOT, connections: Number(args.connections), duration: Number(args.duration), pid })

type Column = 'service' | 'baseline' | FloorKind | 'node-all-headers'
const results = new Map<string, Load[]>()
const background = new Map<Column, number>()
const push = (route: string, col: Column, l: Load) => {
  const k = `${route}|${col}`
  results.set(k, [...(results.get(k) ?? []), l])
  log(`  ${col} ${route}: ${l.rps} req/s, p99 ${l.p99} ms, ${l.cpu_per_10k ?? '-'} CPU s / 10k, errors ${l.errors}; load ${loadAverage()}`)
}

const BARE_HEADERS = ['content-encoding', 'vary', 'etag', 'cache-control', 'x-mpm-shard']
/** the headers of an answer that a server sets itself (or that depend on the moment) */
const OWN = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', 'content-type'])

/** the identity answers of the service of `root` and their headers, after loading each route */
async function loadService (root: string, col: Column): Promise<Map<string, { body: Buffer, headers: Record<string, string> }>> {
  const execArgv: string[] = []
  if (col === 'service' && args.profile !== undefined) {
    mkdirSync(args.profile, { recursive: true })
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${args.profile}`)
  }
  const svc = await startService({ root, maxRecords: 1000, keep: false, log, execArgv }, DEVICES, HOURS)
  const bodies = new Map<string, { body: Buffer, headers: Record<string, string> }>()
  try {
    // the service's own cycles (pings of its devices every 5 s) cost CPU whether loaded or not:
    // measured unloaded over two cycles, it is printed beside the figures (which include it)
    const c0 = cpuSeconds(svc.pid).own
    const t0 = performance.now()
    await new Promise((resolve) => setTimeout(resolve, 10_000))
    const idle = (cpuSeconds(svc.pid).own - c0) / ((performance.now() - t0) / 1000)
    background.set(col, idle)
    log(`${col}: ${idle.toFixed(3)} CPU s per second unloaded (its cycles)`)
    for (const n of names) {
      const got = await getRaw(svc.base + ALL[n])
      if (got.status !== 200 || got.headers['content-encoding'] !== undefined) throw new Error(`${n}: ${got.status} ${got.headers['content-encoding'] ?? ''}`)
      bodies.set(n, { body: got.body, headers: Object.fromEntries(Object.entries(got.headers).filter(([k]) => !OWN.has(k))) })
      log(`loading ${col} ${ALL[n]} (${got.body.length} bytes) ...`)
      push(n, col, run(svc.base + ALL[n], svc.pid))
    }
  } finally {
    await svc.stop()
  }
  return bodies
}

async function main (): Promise<void> {
  for (let round = 1; round <= Number(args.rounds); round++) {
    log(`round ${round}`)
    const bodies = await loadService(ROOT, 'service')
    if (args.baseline !== undefined) await loadService(args.baseline, 'baseline')
    for (const n of names) {
      const { body, headers: all } = bodies.get(n)!
      // what bench:api's bare server sends: the service's answer's own caching headers
      const headers = Object.fromEntries(Object.entries(all).filter(([k]) => BARE_HEADERS.includes(k)))
      for (const [col, kind, h] of [['fastify', 'fastify', headers], ['node', 'node', headers], ['node-all-headers', 'node', all]] as const) {
        const f = await startFloor(kind, ROOT, body, h)
        try {
          log(`loading ${col} with the ${body.length}-byte answer of ${n} ...`)
          push(n, col, run(f.url, f.pid))
        } finally {
          f.stop()
        }
      }
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const cols: Column[] = [...(args.baseline !== undefined ? ['service', 'baseline'] as const : ['service'] as const), 'fastify', 'node-all-headers', 'node']
  const of = (n: string, c: Column) => {
    const ls = results.get(`${n}|${c}`) ?? []
    return { rps: med(ls.map((l) => l.rps)), p99: med(ls.map((l) => l.p99)), cpu: med(ls.map((l) => l.cpu_per_10k ?? NaN)), errors: ls.reduce((s, l) => s + l.errors, 0) }
  }
  console.log(`\n${DEVICES} devices, ${HOURS} h, ${args.connections} connections, ${args.duration} s per run, identity, medians of ${args.rounds} round(s); load average at the end ${loadAverage()}`)
  console.log(`CPU s / 10k requests include the service's own cycles: unloaded it spent ${[...background].map(([c, v]) => `${c} ${v.toFixed(3)}`).join(', ')} CPU s per second (last round)\n`)
  console.log(`| route | ${cols.map((c) => `${c} req/s | p99 ms | CPU s/10k`).join(' | ')} | ${cols.filter((c) => c !== 'node').map((c) => `${c} p99/bare | CPU/bare`).join(' | ')} | errors |`)
  console.log(`| --- | ${cols.map(() => '---: | ---: | ---:').join(' | ')} | ${cols.filter((c) => c !== 'node').map(() => '---: | ---:').join(' | ')} | ---: |`)
  for (const n of names) {
    const bare = of(n, 'node')
    const cells = cols.map((c) => { const x = of(n, c); return `${x.rps} | ${x.p99} | ${x.cpu}` })
    const ratios = cols.filter((c) => c !== 'node').map((c) => { const x = of(n, c); return `${(x.p99 / bare.p99).toFixed(2)} | ${(x.cpu / bare.cpu).toFixed(2)}` })
    console.log(`| ${n} | ${cells.join(' | ')} | ${ratios.join(' | ')} | ${cols.map((c) => of(n, c).errors).reduce((a, b) => a + b, 0)} |`)
  }
}

main().catch((err) => {
  process.stderr.write(`request-cost failed: ${String(err?.stack ?? err)}\n`)
  process.exit(1)
})
