/**
 * `npm run bench:api`: the read routes under load, on a day of history, while the monitor runs.
 *
 * 1. Generates CSV history: N devices x H hours at 5-second cycles (some devices down, some
 *    flapping), in the files and format the service writes (cached between runs).
 * 2. Starts the real service (dist/) on it with live cycles against loopback devices, and times the
 *    rebuild of the in-memory history; reads RSS after it.
 * 3. Loads each read route with autocannon from a second process, twice: as a browser asks
 *    (`Accept-Encoding: gzip, br`: the answer comes brotli-coded) and with no Accept-Encoding
 *    (identity); each beside a bare node:http server sending the same bytes with the same headers.
 *    Prints requests/s, p50/p99 latency and errors per route and case, the monitor's overruns during
 *    the load, and the answer sizes (identity, gzip, br).
 * 4. The bytes a dashboard left open downloads per cycle, at this inventory and (a second, unloaded
 *    service with --dashboard-hours of history) at --dashboard-devices: as public/app.js asks now, and
 *    as it asked before issue 17's last changes (all availability fields, overview every 30 s), from
 *    the same answers of the same run.
 * 5. Compression levels: size and time of gzip 1/6/9 and brotli 1/4/5/6/9/11 on the real answers at
 *    both inventories (median of --level-runs); the levels in src/plugins/response-cache.ts cite this.
 *    `--only levels` runs steps 1, 2, 4 and 5 only (no load, no availability costs).
 *
 * Run inside a private network namespace (npm run bench:api does that): live pings go to loopback only.
 */
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cycleCost, loadAverage, storeSize } from '../availability/costs.js'
import { autocannon as load, gcPercent, getRaw, loadLine, median as med, pairRatio, withBareServer, withGcShare, type Load } from './load.js'
import { parseBenchArgs, rssMb, startService as start } from './service-fixture.js'
import { levelsSummary, levelsTable, measureLevels, type LevelRow } from './compression-levels.js'

const { values: args, load: settings } = parseBenchArgs('npm run bench:api -- [options]: the read routes under load (see the top of bench/api/api-bench.ts)', '3', {
  json: { type: 'boolean', default: false },
  keep: { type: 'boolean', default: false },
  'no-floor': { type: 'boolean', default: false },
  'dashboard-devices': { type: 'string', default: '10000' },
  'dashboard-hours': { type: 'string', default: '1' },
  'avail-devices': { type: 'string', default: '10000' },
  'avail-cycles': { type: 'string', default: '200' },
  'rebuild-devices': { type: 'string', default: '1000' },
  'rebuild-days': { type: 'string', default: '30' },
  only: { type: 'string', default: '' },
  'level-runs': { type: 'string', default: '5' }
}, {
  json: 'print the results as JSON',
  keep: 'keep the generated inventory file when the service stops',
  'no-floor': 'no bare node:http server beside each load',
  'dashboard-devices': 'a second, unloaded service for the dashboard\'s bytes per cycle at a larger inventory (0: skip)',
  'dashboard-hours': 'hours of history of that second service',
  'avail-devices': 'issue 14: the cycle\'s extra cost at this many devices (0: skip)',
  'avail-cycles': 'issue 14: over this many cycles',
  'rebuild-devices': 'issue 14: rollups rebuilt from CSV at start for this many devices, the API loaded meanwhile (0: skip)',
  'rebuild-days': 'issue 14: and this many days',
  only: '"levels": the compression levels (and sizes, dashboard bytes) only',
  'level-runs': 'runs per compression level (median)'
})
const { devices: DEVICES, hours: HOURS, connections: CONNECTIONS, duration: DURATION, maxRecords: MAX_RECORDS } = settings
const ONLY_LEVELS = args.only === 'levels'
if (args.only !== '' && !ONLY_LEVELS) throw new Error(`--only: only "levels" is known, not ${args.only}`)
const ROUNDS = ONLY_LEVELS ? 0 : settings.rounds
const LEVEL_RUNS = Number(args['level-runs'])
const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const log = (m: string) => { if (!args.json) process.stderr.write(m + '\n') }
const startService = (n: number, h: number, rebuildAvailability = false) => start({ root: ROOT, maxRecords: MAX_RECORDS, keep: args.keep, log }, n, h, rebuildAvailability)
const autocannon = (url: string, headers: Record<string, string>, pid?: number) => load(url, headers, { root: ROOT, connections: CONNECTIONS, duration: DURATION, ...(pid !== undefined ? { pid } : {}) })

async function getJson (url: string): Promise<any> {
  const res = await fetch(url)
  return await res.json()
}

/** what a browser sends */
const BROWSER_AE = 'gzip, deflate, br'

interface Sizes { identity: number, gzip: number, br: number }

async function sizesOf (url: string): Promise<Sizes> {
  const [identity, gzip, br] = await Promise.all(['identity', 'gzip', 'br'].map(async (ae) => {
    const r = await getRaw(url, { 'accept-encoding': ae })
    if (r.status !== 200) throw new Error(`${url}: ${r.status}`)
    if (ae !== 'identity' && r.headers['content-encoding'] !== ae) throw new Error(`${url}: asked ${ae}, got ${r.headers['content-encoding']}`)
    return r.body.length
  }))
  return { identity, gzip, br }
}

// what public/app.js fetches, in a dashboard left open with no device dialog, while the monitor runs:
// twice per cycle health and service status (small, not cached); at each new cycle the status and the
// location groups; at the first new cycle 120 s after the last, the overview; 60 s after the last, the
// four availability answers, only the column shown (fields=). (Without a new cycle, status and groups
// are re-read every 30 s and come back as 304s: no such refresh while cycles come every 5 s.)
const DASHBOARD_OVERVIEW = '/api/ping/overview?minutes=60&points=30'
const AV_FIELDS = 'fields=availability_percent'
const DASHBOARD_AVAILABILITY = ['window=24h&group_by=device', 'window=7d&group_by=device', 'window=30d&group_by=device', 'window=30d&group_by=location']
/** status line and headers of one answer, about what the service sends */
const HEADER_BYTES = 350

interface Part { bytes: number, per_cycle: number }
interface Dashboard { devices: number, per_cycle_bytes: number, parts: Record<string, Part>, before_per_cycle_bytes: number, before_parts: Record<string, Part> }

async function dashboardBytes (base: string, devices: number, intervalS = 5): Promise<Dashboard> {
  const wire = async (path: string): Promise<number> => {
    const r = await getRaw(base + path, { 'accept-encoding': BROWSER_AE })
    if (r.status !== 200) throw new Error(`${path}: ${r.status}`)
    return r.body.length + HEADER_BYTES
  }
  let st = await getRaw(base + '/api/ping/status', { 'accept-encoding': BROWSER_AE })
  for (let attempt = 1; ; attempt++) {
    const again = await getRaw(base + '/api/ping/status', { 'accept-encoding': BROWSER_AE, 'if-none-match': st.headers.etag ?? '' })
    if (again.status === 304) break
    // a cycle that ended between the two requests makes a new answer with a new tag: ask again; the
    // same tag without a 304, or three cycles in a row, is the service's fault
    if (again.status !== 200 || again.headers.etag === st.headers.etag || attempt === 3) throw new Error(`status with its own ETag: ${again.status} (tag ${again.headers.etag ?? 'none'} after ${st.headers.etag ?? 'none'}), not 304`)
    st = again
  }
  const sum = async (paths: string[]) => (await Promise.all(paths.map(wire))).reduce((a, b) => a + b, 0)
  const common: Record<string, Part> = {
    'health (2 per cycle)': { bytes: await wire('/api/health'), per_cycle: 2 },
    'service/status (2 per cycle)': { bytes: await wire('/api/ping/service/status'), per_cycle: 2 },
    'status (new cycle)': { bytes: st.body.length + HEADER_BYTES, per_cycle: 1 },
    'groups?by=location (new cycle)': { bytes: await wire('/api/ping/groups?by=location'), per_cycle: 1 }
  }
  const overview = await wire(DASHBOARD_OVERVIEW)
  const parts: Record<string, Part> = {
    ...common,
    'overview (every 120 s)': { bytes: overview, per_cycle: intervalS / 120 },
    'availability x4, fields=availability_percent (every 60 s)': { bytes: await sum(DASHBOARD_AVAILABILITY.map((q) => `/api/ping/availability?${q}&${AV_FIELDS}`)), per_cycle: intervalS / 60 }
  }
  // the same answers as public/app.js asked for them before: every field, overview every 30 s
  const beforeParts: Record<string, Part> = {
    ...common,
    'overview (every 30 s)': { bytes: overview, per_cycle: intervalS / 30 },
    'availability x4, all fields (every 60 s)': { bytes: await sum(DASHBOARD_AVAILABILITY.map((q) => `/api/ping/availability?${q}`)), per_cycle: intervalS / 60 }
  }
  const per = (ps: Record<string, Part>) => Math.round(Object.values(ps).reduce((n, p) => n + p.bytes * p.per_cycle, 0))
  return { devices, per_cycle_bytes: per(parts), parts, before_per_cycle_bytes: per(beforeParts), before_parts: beforeParts }
}

/**
 * The answers the levels are measured on, identity bytes as the service sends them (measured later,
 * once the services are stopped: seconds of brotli 11 would block this process's sockets meanwhile).
 * The availability store is the same 10,000 devices in 500 locations for both services, so its device
 * windows are taken once, at the larger inventory.
 */
async function levelAnswers (base: string, mid: number, hours: number, devices: number, withDeviceWindows: boolean): Promise<Array<{ answer: string, body: Buffer }>> {
  const paths = [
    '/api/ping/status',
    '/api/ping/latest?limit=1000',
    `/api/ping/device/${mid}?hours=1`,
    `/api/ping/devices/${mid}/timeline?hours=${hours}&bucket=300`,
    '/api/ping/availability?window=90d&group_by=location',
    ...(withDeviceWindows ? ['/api/ping/availability?window=24h&group_by=device', `/api/ping/availability?window=24h&group_by=device&${AV_FIELDS}`] : [])
  ]
  const out: Array<{ answer: string, body: Buffer }> = []
  for (const p of paths) {
    const r = await getRaw(base + p)
    if (r.status !== 200 || r.headers['content-encoding'] !== undefined) throw new Error(`${p}: ${r.status} ${r.headers['content-encoding'] ?? ''}`)
    out.push({ answer: `${p} @${devices}`, body: r.body })
  }
  return out
}

function measureAll (answers: Array<{ answer: string, body: Buffer }>): LevelRow[] {
  return answers.map(({ answer, body }) => {
    log(`compression levels: ${answer} (${body.length} bytes), up to ${LEVEL_RUNS} runs per level ...`)
    return measureLevels(answer, body, LEVEL_RUNS)
  })
}

const dashNOf = () => Number(args['dashboard-devices'])
const kb = (b: number) => (b / 1024).toFixed(1)

async function main (): Promise<void> {
  if (process.env.MPM_NETNS_READY !== '1') log('note: not inside the private network namespace; live devices in 127.66.0.0/16 will answer')
  const svc = await startService(DEVICES, HOURS)
  const base = svc.base
  try {
    const rssAfter = rssMb(svc.pid)
    log(`rebuild ${(svc.rebuildMs / 1000).toFixed(1)} s (${svc.progressLines} progress lines), RSS after rebuild ${rssAfter.toFixed(0)} MB`)
    const mid = Math.ceil(DEVICES / 2) + 2
    const routes = [
      '/api/ping/status',
      '/api/ping/latest?limit=1000',
      '/api/ping/statistics?hours=24',
      `/api/ping/device/${mid}?hours=1`,
      `/api/ping/devices/${mid}/timeline?hours=24&bucket=300`,
      '/api/ping/availability?window=90d&group_by=location',
      DASHBOARD_OVERVIEW,
      '/api/ping/events?hours=24'
    ].map((r) => r.replace('hours=24', `hours=${HOURS}`))
    // loaded: the routes the targets are set for (the others: sizes only)
    const loaded = routes.slice(0, 6)
    const sizes = await Promise.all(routes.map(async (r) => ({ route: r, ...await sizesOf(base + r) })))
    // cases: as a browser asks (the answer comes brotli-coded) and with no Accept-Encoding (identity)
    const cases = [{ name: 'br', headers: { 'accept-encoding': 'gzip, br' } }, { name: 'identity', headers: {} as Record<string, string> }]
    // rounds: each route and case, then the same bytes and headers from a bare node:http server (loaded
    // the same way on the same machine while the service keeps cycling beside it); figures are medians
    // over the rounds, since one 10-second run on a shared 2-core machine varies a lot
    const runs = cases.map(() => loaded.map((): Load[] => []))
    const floorRuns = cases.map(() => loaded.map((): Load[] => []))
    let cyclesDuringLoad = 0
    let overrunsDuringLoad = 0
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [i, r] of loaded.entries()) {
        for (const [k, c] of cases.entries()) {
          const before = (await getJson(`${base}/api/ping/service/status`)).data
          log(`round ${round}/${ROUNDS}: loading ${r} (${c.name}) with ${CONNECTIONS} connections for ${DURATION} s ...`)
          const run = await withGcShare(base, () => autocannon(base + r, c.headers, svc.pid))
          runs[k][i].push(run)
          log(`  service: ${loadLine(run)}`)
          const after = (await getJson(`${base}/api/ping/service/status`)).data
          cyclesDuringLoad += after.cycles - before.cycles
          overrunsDuringLoad += after.overruns - before.overruns
          if (args['no-floor']) continue
          const got = await getRaw(base + r, c.headers)
          // every header of the service's answer (security headers included): the same bytes (checked)
          floorRuns[k][i].push(await withBareServer(ROOT, got, (url, pid) => {
            log(`round ${round}/${ROUNDS}: loading a bare node:http server with the ${got.body.length}-byte ${c.name} answer of ${r} ...`)
            const bare = autocannon(url, c.headers, pid)
            log(`  bare: ${loadLine(bare)}`)
            return bare
          }))
        }
      }
    }
    const dashboards = [await dashboardBytes(base, DEVICES)]
    const levelBodies = await levelAnswers(base, mid, HOURS, DEVICES, dashNOf() <= 0 || dashNOf() === DEVICES)
    const rssEnd = rssMb(svc.pid)
    await svc.stop()
    const dashN = dashNOf()
    if (dashN > 0 && dashN !== DEVICES) {
      log(`dashboard bytes at ${dashN} devices: a second service with ${args['dashboard-hours']} h of history ...`)
      const big = await startService(dashN, Number(args['dashboard-hours']))
      try {
        dashboards.push(await dashboardBytes(big.base, dashN))
        levelBodies.push(...await levelAnswers(big.base, Math.ceil(dashN / 2) + 2, Number(args['dashboard-hours']), dashN, true))
        sizes.push(...await Promise.all(['/api/ping/status', '/api/ping/latest?limit=1000', DASHBOARD_OVERVIEW].map(async (r) => ({ route: `${r} @${dashN}`, ...await sizesOf(big.base + r) }))))
      } finally {
        await big.stop()
      }
    }

    const levels = measureAll(levelBodies)

    // issue 14: store size, the cycle's extra cost, the rebuild from CSV with the API loaded meanwhile
    const avail: string[] = [storeSize(join(tmpdir(), 'mpm-bench-api-avail-size'))]
    log(avail[0])
    const aN = ONLY_LEVELS ? 0 : Number(args['avail-devices'])
    if (aN > 0) {
      log(`cycle extra cost of outages + rollups at ${aN} devices ...`)
      avail.push(await cycleCost(ROOT, join(tmpdir(), 'mpm-bench-api-avail-cycle'), aN, Number(args['avail-cycles'])))
      log(avail[avail.length - 1])
    }
    const rN = ONLY_LEVELS ? 0 : Number(args['rebuild-devices'])
    const rH = Number(args['rebuild-days']) * 24
    if (rN > 0 && rH > 0) {
      log(`rebuild of ${rH / 24} days x ${rN} devices of rollups from CSV at start, /api/health and /api/ping/status loaded meanwhile ...`)
      const t0 = Date.now()
      const rs = await startService(rN, rH, true)
      const during: Load[] = []
      const startedLoad = Date.now()
      try {
        for (let k = 0; !rs.availRebuild.done; k++) {
          during.push(autocannon(rs.base + (k % 2 === 0 ? '/api/health' : '/api/ping/status'), { 'accept-encoding': 'gzip, br' }))
          if (Date.now() - startedLoad > 900_000) throw new Error('availability rebuild not done in 15 minutes')
        }
      } finally {
        await rs.stop()
      }
      const p99s = (path: string) => during.filter((l) => l.route.endsWith(path)).map((l) => l.p99)
      avail.push(`rebuild of ${rH / 24} days x ${rN} devices of rollups from CSV at start: ${(rs.availRebuild.ms / 1000).toFixed(1)} s for ${rs.availRebuild.rows} rows (service started ${((Date.now() - t0) / 1000).toFixed(0)} s before the end, history read-back of 1 h beside it); meanwhile ${during.length} load runs of ${DURATION} s, all answered: p99 ms /api/health ${p99s('/api/health').join(' ')}, /api/ping/status ${p99s('/api/ping/status').join(' ')}, errors ${during.reduce((n, l) => n + l.errors, 0)}; load average ${loadAverage()}`)
      log(avail[avail.length - 1])
    }

    const summarize = (ls: Load[]): Load | null => ls.length === 0
      ? null
      : { route: ls[0].route, rps: med(ls.map((l) => l.rps)), p50: med(ls.map((l) => l.p50)), p99: med(ls.map((l) => l.p99)), errors: ls.reduce((n, l) => n + l.errors, 0), requests: ls.reduce((n, l) => n + l.requests, 0), cpu_per_10k: med(ls.map((l) => l.cpu_per_10k ?? NaN)) }
    const result = {
      devices: DEVICES,
      hours: HOURS,
      rows: svc.rows,
      rebuild_s: svc.rebuildMs / 1000,
      rss_after_rebuild_mb: Math.round(rssAfter),
      rss_end_mb: Math.round(rssEnd),
      cycles_during_load: cyclesDuringLoad,
      overruns_during_load: overrunsDuringLoad,
      rounds: ROUNDS,
      connections: CONNECTIONS,
      duration_s: DURATION,
      load_average: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
      cases: cases.map((c, k) => ({
        case: c.name,
        routes: loaded.map((r, i) => {
          // --rounds 0: sizes and dashboard bytes only
          const l = summarize(runs[k][i]) ?? {} as Partial<Load>
          const f = summarize(floorRuns[k][i])
          return { ...l, route: r, bare_rps: f?.rps ?? null, bare_p50: f?.p50 ?? null, bare_p99: f?.p99 ?? null, bare_cpu_per_10k: f?.cpu_per_10k ?? null, p99_per_round: runs[k][i].map((x) => x.p99), bare_p99_per_round: floorRuns[k][i].map((x) => x.p99), gc_share_per_round: runs[k][i].map((x) => x.gc_share ?? null) }
        })
      })),
      sizes,
      dashboards,
      levels,
      availability: avail
    }
    if (args.json) {
      process.stdout.write(JSON.stringify(result, null, 2) + '\n')
    } else {
      console.log(`\n${DEVICES} devices, ${HOURS} h of history (${svc.rows} rows), ${CONNECTIONS} connections, ${DURATION} s per route and case; load average at the end ${result.load_average}`)
      console.log(`rebuild at start: ${result.rebuild_s.toFixed(1)} s; RSS after rebuild: ${result.rss_after_rebuild_mb} MB; at the end: ${result.rss_end_mb} MB`)
      console.log(`monitor during the load (the service's own runs): ${result.cycles_during_load} cycles, ${result.overruns_during_load} overruns`)
      console.log(`medians over ${ROUNDS} rounds\n`)
      for (const c of result.cases) {
        console.log(`${c.case === 'br' ? 'Accept-Encoding: gzip, br (answers brotli-coded)' : 'no Accept-Encoding (identity)'}:\n`)
        console.log('| route | req/s | p50 ms | p99 ms | errors | CPU s / 10k req | bare node:http, same bytes and headers: req/s | p50 ms | p99 ms | CPU s / 10k req | p99 / bare | CPU / bare | p99 / bare, median of the rounds\' pairs | p99 per round (service; bare) | service GC pauses, % of each round |')
        console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |')
        const ratio = (a: number | null | undefined, b: number | null | undefined) => a !== null && a !== undefined && b !== null && b !== undefined ? (a / b).toFixed(2) : '-'
        for (const l of c.routes.filter((x) => x.rps !== undefined)) console.log(`| \`GET ${l.route}\` | ${l.rps} | ${l.p50} | ${l.p99} | ${l.errors} | ${l.cpu_per_10k ?? '-'} | ${l.bare_rps ?? '-'} | ${l.bare_p50 ?? '-'} | ${l.bare_p99 ?? '-'} | ${l.bare_cpu_per_10k ?? '-'} | ${ratio(l.p99, l.bare_p99)} | ${ratio(l.cpu_per_10k, l.bare_cpu_per_10k)} | ${pairRatio(l.p99_per_round, l.bare_p99_per_round)} | ${l.p99_per_round.join(' ')}; ${l.bare_p99_per_round.join(' ')} | ${l.gc_share_per_round.map(gcPercent).join(' ')} |`)
        console.log('')
      }
      console.log('answer sizes:\n')
      console.log('| route | identity KB | gzip KB | br KB | identity / br |')
      console.log('| --- | ---: | ---: | ---: | ---: |')
      for (const s of result.sizes) console.log(`| \`GET ${s.route}\` | ${kb(s.identity)} | ${kb(s.gzip)} | ${kb(s.br)} | ${(s.identity / s.br).toFixed(1)} |`)
      console.log('\navailability (issue 14):\n')
      for (const a of result.availability) console.log(`- ${a}`)
      console.log(`\ncompression levels (brotli in text mode with the size hint, as the service; sync, one at a time, median of up to ${LEVEL_RUNS} runs after a warm-up; load average ${loadAverage()}):\n`)
      console.log(levelsTable(result.levels))
      console.log('\nall these answers together, per level:\n')
      console.log(levelsSummary(result.levels))
      console.log('\na dashboard left open (public/app.js, no device dialog), bytes on the wire per 5-second cycle, now and as it asked before (same answers):\n')
      const parts = (ps: Record<string, Part>) => Object.entries(ps).map(([k, p]) => `${k}: ${kb(p.bytes)} KB × ${p.per_cycle.toFixed(3)}`).join('; ')
      for (const d of result.dashboards) {
        console.log(`${d.devices} devices: ${kb(d.per_cycle_bytes)} KB per cycle (${parts(d.parts)})`)
        console.log(`${d.devices} devices, before: ${kb(d.before_per_cycle_bytes)} KB per cycle (${parts(d.before_parts)})`)
      }
    }
  } catch (err) {
    await svc.stop().catch(() => {})
    throw err
  }
}

main().catch((err) => {
  process.stderr.write(`bench:api failed: ${String(err?.stack ?? err)}\n`)
  process.exit(1)
})
