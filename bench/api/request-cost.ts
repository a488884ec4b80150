/**
 * What one request costs on the read routes, identity-coded, side by side in one run (issue 17's
 * API target: p99 within 1.25x of a bare node:http server sending the same bytes):
 * - the service of this checkout and, with --baseline DIR, the one built in DIR (one after the
 *   other, on the same generated history);
 * - a plain Fastify with one route sending the same bytes, every header included (Fastify's own floor);
 * - a bare node:http server sending them too (`node`, the ratios' denominator: what a cache answering
 *   in front of Fastify could at best cost), and the same server sending only the caching headers and
 *   the shard (`node-few-headers`, the bare server of earlier runs: the security headers alone cost
 *   a small answer a measurable share). Both floors' answers are checked against the service's.
 * For each: requests/s, p99, and CPU seconds of the server process per 10,000 requests, which
 * depends little on what else the shared machine is doing (latency does).
 *
 *   bash test/run-in-netns.sh node dist-bench/bench/api/request-cost.js --baseline /work/baseline
 *   (--help: the options)
 *
 * --profile DIR: this checkout's service runs under `node --cpu-prof` (the profile is written when
 * it stops, into DIR).
 */
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { loadAverage } from '../availability/costs.js'
import { answerDiff, answerHeaders, autocannon, gcPercent, getRaw, headerBytes, loadLine, median as med, pairRatio, startFloor, withGcShare, type FloorKind, type Load, type Raw } from './load.js'
import { parseBenchArgs, startService } from './service-fixture.js'
import { cpuSeconds } from '../proc-stats.js'

const { values: args, load: settings } = parseBenchArgs('node dist-bench/bench/api/request-cost.js [options]: the CPU and p99 of one request on the read routes, identity, beside the floors (see the top of bench/api/request-cost.ts)', '1', {
  baseline: { type: 'string', default: '' },
  profile: { type: 'string', default: '' },
  routes: { type: 'string', default: '' },
  'service-flags': { type: 'string', default: '' },
  floors: { type: 'string', default: 'yes' }
}, {
  baseline: 'a checkout whose built service (dist/) is loaded too, after this one',
  profile: 'a directory: this checkout\'s service runs under node --cpu-prof and writes its profile there',
  routes: `a comma-separated subset of the routes (${['status', 'latest', 'statistics', 'device', 'timeline', 'availability'].join(', ')})`,
  'service-flags': 'node flags for this checkout\'s service only, space-separated (a V8 flag tried against --baseline of the same checkout without it)',
  floors: '"no": load the services only (no Fastify or bare server; no ratios)'
})
const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const { devices: DEVICES, hours: HOURS } = settings
const BASELINE = args.baseline === '' ? undefined : args.baseline
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
const run = (url: string, pid: number) => autocannon(url, {}, { root: ROOT, connections: settings.connections, duration: settings.duration, pid })

type Column = 'service' | 'baseline' | FloorKind | 'node-few-headers'
const results = new Map<string, Load[]>()
const background = new Map<Column, number>()
const push = (route: string, col: Column, l: Load) => {
  const k = `${route}|${col}`
  results.set(k, [...(results.get(k) ?? []), l])
  log(`  ${col} ${route}: ${loadLine(l)}; load ${loadAverage()}`)
}

/** what bench:api's bare server sent before it sent every header of the answer (the old floor, for comparison) */
const FEW_HEADERS = ['content-encoding', 'vary', 'etag', 'cache-control', 'x-mpm-shard']

/** the identity answers of the service of `root` and their headers, after loading each route */
async function loadService (root: string, col: Column): Promise<Map<string, Raw>> {
  const execArgv: string[] = col === 'service' && args['service-flags'] !== '' ? args['service-flags'].split(' ').filter((f) => f !== '') : []
  if (col === 'service' && args.profile !== '') {
    mkdirSync(args.profile, { recursive: true })
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${args.profile}`)
  }
  const svc = await startService({ root, maxRecords: settings.maxRecords, keep: false, log, execArgv }, DEVICES, HOURS)
  const bodies = new Map<string, Raw>()
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
      bodies.set(n, got)
      log(`loading ${col} ${ALL[n]} (${got.body.length} bytes) ...`)
      push(n, col, await withGcShare(svc.base, () => run(svc.base + ALL[n], svc.pid)))
    }
  } finally {
    await svc.stop()
  }
  return bodies
}

async function main (): Promise<void> {
  for (let round = 1; round <= settings.rounds; round++) {
    log(`round ${round}`)
    const bodies = await loadService(ROOT, 'service')
    if (BASELINE !== undefined) await loadService(BASELINE, 'baseline')
    if (args.floors === 'no') continue
    for (const n of names) {
      const answer = bodies.get(n)!
      const all = answerHeaders(answer.headers)
      const few = Object.fromEntries(Object.entries(all).filter(([k]) => FEW_HEADERS.includes(k)))
      // the floors send every header the service sent (security headers included): the same bytes,
      // checked; and, as before, the bare server with the few caching headers only
      for (const [col, kind, h] of [['fastify', 'fastify', all], ['node', 'node', all], ['node-few-headers', 'node', few]] as const) {
        const f = await startFloor(kind, ROOT, answer.body, h)
        try {
          const sent = await getRaw(f.url)
          const diff = answerDiff(answer, sent)
          if (h === all && diff !== '') throw new Error(`${col} does not send the service's answer of ${n}: ${diff}`)
          if (round === 1) log(`${col} ${n}: ${answer.body.length} body bytes, ${headerBytes(sent.headers)} header bytes (service ${headerBytes(answer.headers)})${h === all ? ', the same answer' : ''}`)
          log(`loading ${col} with the ${answer.body.length}-byte answer of ${n} ...`)
          push(n, col, run(f.url, f.pid))
        } finally {
          f.stop()
        }
      }
    }
  }
  const cols: Column[] = [...(BASELINE !== undefined ? ['service', 'baseline'] as const : ['service'] as const), ...(args.floors === 'no' ? [] : ['fastify', 'node-few-headers', 'node'] as const)]
  const of = (n: string, c: Column) => {
    const ls = results.get(`${n}|${c}`) ?? []
    return { rps: med(ls.map((l) => l.rps)), p99: med(ls.map((l) => l.p99)), cpu: med(ls.map((l) => l.cpu_per_10k ?? NaN)), errors: ls.reduce((s, l) => s + l.errors, 0) }
  }
  console.log(`\n${DEVICES} devices, ${HOURS} h, ${settings.connections} connections, ${settings.duration} s per run, identity, medians of ${settings.rounds} round(s); load average at the end ${loadAverage()}`)
  console.log('fastify and node (bare node:http, the ratios\' denominator) send the same bytes as the service, every header included (checked); node-few-headers sends only the caching headers and the shard (the bare server before)')
  console.log(`CPU s / 10k requests include the service's own cycles: unloaded it spent ${[...background].map(([c, v]) => `${c} ${v.toFixed(3)}`).join(', ')} CPU s per second (last round)\n`)
  console.log(`| route | ${cols.map((c) => `${c} req/s | p99 ms | CPU s/10k`).join(' | ')} | ${cols.filter((c) => c !== 'node').map((c) => `${c} p99/bare | CPU/bare`).join(' | ')} | service p99/bare, median of the rounds' pairs | errors |`)
  console.log(`| --- | ${cols.map(() => '---: | ---: | ---:').join(' | ')} | ${cols.filter((c) => c !== 'node').map(() => '---: | ---:').join(' | ')} | ---: | ---: |`)
  for (const n of names) {
    const bare = of(n, 'node')
    const cells = cols.map((c) => { const x = of(n, c); return `${x.rps} | ${x.p99} | ${x.cpu}` })
    const ratios = cols.filter((c) => c !== 'node').map((c) => { const x = of(n, c); return `${(x.p99 / bare.p99).toFixed(2)} | ${(x.cpu / bare.cpu).toFixed(2)}` })
    const p99s = (c: Column) => (results.get(`${n}|${c}`) ?? []).map((l) => l.p99)
    console.log(`| ${n} | ${cells.join(' | ')} | ${ratios.join(' | ')} | ${pairRatio(p99s('service'), p99s('node'))} | ${cols.map((c) => of(n, c).errors).reduce((a, b) => a + b, 0)} |`)
  }
  // a start that fell into the collection storm (README, issue 17) shows here: its GC pauses take a
  // large share of the run, where the others' stay at a few percent
  console.log('\nGC pauses, % of each run\'s time, round by round:')
  for (const n of names) for (const c of cols.filter((x) => x === 'service' || x === 'baseline')) console.log(`  ${n} ${c}: ${(results.get(`${n}|${c}`) ?? []).map((l) => gcPercent(l.gc_share)).join(' ')}`)
}

main().catch((err) => {
  process.stderr.write(`request-cost failed: ${String(err?.stack ?? err)}\n`)
  process.exit(1)
})
