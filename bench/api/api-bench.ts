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
import { spawn, execFileSync } from 'node:child_process'
import { get as httpGet } from 'node:http'
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { formatLocalIso, localDateKey } from '../../src/lib/local-time.js'
import { CSV_HEADER } from '../../src/storage/result-row.js'
import { csvFileName } from '../../src/storage/csv-files.js'
import { seedStore } from '../availability/seed-store.js'
import { cycleCost, loadAverage, storeSize } from '../availability/costs.js'
import { levelsSummary, levelsTable, measureLevels, type LevelRow } from './compression-levels.js'

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000' },
    hours: { type: 'string', default: '24' },
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    'max-records': { type: 'string', default: '1000' },
    json: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'no-floor': { type: 'boolean', default: false },
    /** a second, unloaded service for the dashboard's bytes per cycle at a larger inventory (0: skip) */
    'dashboard-devices': { type: 'string', default: '10000' },
    'dashboard-hours': { type: 'string', default: '1' },
    /** issue 14: the cycle's extra cost at this many devices, over this many cycles (0: skip) */
    'avail-devices': { type: 'string', default: '10000' },
    'avail-cycles': { type: 'string', default: '200' },
    /** issue 14: rollups rebuilt from CSV at start for these devices and days, the API loaded meanwhile (0: skip) */
    'rebuild-devices': { type: 'string', default: '1000' },
    'rebuild-days': { type: 'string', default: '30' },
    /** `levels`: the compression levels (and sizes, dashboard bytes) only */
    only: { type: 'string', default: '' },
    'level-runs': { type: 'string', default: '5' }
  }
})
const DEVICES = Number(args.devices)
const HOURS = Number(args.hours)
const CONNECTIONS = Number(args.connections)
const DURATION = Number(args.duration)
const ONLY_LEVELS = args.only === 'levels'
if (args.only !== '' && !ONLY_LEVELS) throw new Error(`--only: only "levels" is known, not ${args.only}`)
const ROUNDS = ONLY_LEVELS ? 0 : Number(args.rounds)
const LEVEL_RUNS = Number(args['level-runs'])
const MAX_RECORDS = Number(args['max-records'])
const INTERVAL_MS = 5000
const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const log = (m: string) => { if (!args.json) process.stderr.write(m + '\n') }

const ipOf = (id: number) => `127.${1 + Math.floor(id / 65536)}.${Math.floor(id / 256) % 256}.${id % 256}`
/** 5% always down, 5% flapping (down for 2 of every 10 minutes), the rest up */
const kindOf = (id: number) => id % 20 === 0 ? 'down' : id % 20 === 1 ? 'flap' : 'up'

function generateHistory (dir: string, endMs: number, N: number, H: number): number {
  const marker = join(dir, '.complete')
  if (existsSync(marker)) {
    const m = JSON.parse(readFileSync(marker, 'utf8'))
    if (m.devices === N && m.hours === H && m.maxRecords === MAX_RECORDS && endMs - m.endMs < 3_600_000) return m.rows
  }
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const cycles = Math.floor((H * 3_600_000) / INTERVAL_MS)
  const start = endMs - cycles * INTERVAL_MS
  let key = ''
  let index = 1
  let count = 0
  let buf: string[] = []
  const flush = () => {
    if (buf.length === 0) return
    const path = join(dir, csvFileName(key, index))
    writeFileSync(path, (existsSync(path) ? '' : CSV_HEADER) + buf.join(''), { flag: 'a' })
    buf = []
  }
  let rows = 0
  let seed = 12345
  const rand = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff }
  for (let c = 0; c < cycles; c++) {
    const at0 = start + c * INTERVAL_MS
    const minute = Math.floor(at0 / 60_000)
    for (let id = 1; id <= N; id++) {
      const at = at0 + Math.floor(id / 50)
      const k = localDateKey(at)
      if (k !== key) { flush(); key = k; index = 1; count = 0 }
      if (MAX_RECORDS > 0 && count >= MAX_RECORDS) { flush(); index++; count = 0 }
      const kind = kindOf(id)
      const up = kind === 'up' ? rand() > 0.001 : kind === 'flap' ? minute % 10 >= 2 : false
      const rtt = up ? (0.02 + rand() * rand() * 5).toFixed(2) : ''
      buf.push(`${formatLocalIso(at)},${id},${ipOf(id)},dev-${id},${up},${rtt},${up ? '' : 'No response (timeout)'}\n`)
      count++
      rows++
    }
    if (buf.length >= 20_000) flush()
  }
  flush()
  writeFileSync(marker, JSON.stringify({ devices: N, hours: H, maxRecords: MAX_RECORDS, endMs, rows }))
  return rows
}

function makeInventory (file: string, N: number): void {
  rmSync(file, { force: true })
  const db = new Database(file)
  db.exec(`CREATE TABLE inventaris (id INTEGER PRIMARY KEY, ip VARCHAR(255) NOT NULL, hostname VARCHAR(255), jenis_barang_id INTEGER NOT NULL,
    id_lokasi INTEGER NOT NULL, kondisi VARCHAR(50) NOT NULL DEFAULT 'baik')`)
  const ins = db.prepare('INSERT INTO inventaris (id, ip, hostname, jenis_barang_id, id_lokasi, kondisi) VALUES (?, ?, ?, 1, 1, ?)')
  db.transaction(() => {
    for (let id = 1; id <= N; id++) ins.run(id, kindOf(id) === 'down' ? `127.66.${Math.floor(id / 256) % 256}.${id % 256}` : ipOf(id), `dev-${id}`, 'baik')
  })()
  db.close()
}

function rssMb (pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m === null ? 0 : Number(m[1]) / 1024
}

async function getJson (url: string): Promise<any> {
  const res = await fetch(url)
  return await res.json()
}

interface Raw { status: number, headers: Record<string, string>, body: Buffer }

/** the bytes as sent (fetch would decode them) */
function getRaw (url: string, headers: Record<string, string> = {}): Promise<Raw> {
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

/** what a browser sends */
const BROWSER_AE = 'gzip, deflate, br'

interface Load { route: string, rps: number, p50: number, p99: number, errors: number, requests: number }

function autocannon (url: string, headers: Record<string, string>): Load {
  const h = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}=${v}`])
  const out = execFileSync(process.execPath, [join(ROOT, 'node_modules/autocannon/autocannon.js'), '-c', String(CONNECTIONS), '-d', String(DURATION), ...h, '-j', url], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const r = JSON.parse(out)
  return { route: url.replace(/^http:\/\/[^/]+/, ''), rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx + r.timeouts, requests: r.requests.total }
}

/**
 * A node:http server in its own process that answers every request with `body` and `headers` (for the
 * compressed case: the service's coded bytes with its Content-Encoding, Vary and ETag): the floor of
 * what any server can do here.
 */
async function withBareServer (body: Buffer, headers: Record<string, string>, run: (url: string) => Load): Promise<Load> {
  const file = join(tmpdir(), `mpm-bench-api-body-${process.pid}`)
  writeFileSync(file, body)
  const script = `const http = require('node:http'); const body = require('node:fs').readFileSync(process.env.BODY_FILE);
    const headers = { ...JSON.parse(process.env.HEADERS), 'content-type': 'application/json; charset=utf-8', 'content-length': body.length };
    const s = http.createServer((req, res) => { res.writeHead(200, headers); res.end(body) });
    s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'))`
  const child = spawn(process.execPath, ['-e', script], { env: { BODY_FILE: file, HEADERS: JSON.stringify(headers) }, stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8').once('data', (d: string) => resolve(d.trim()))
      child.once('exit', () => reject(new Error('bare server exited')))
    })
    return run(`http://127.0.0.1:${port}/`)
  } finally {
    child.kill('SIGTERM')
    rmSync(file, { force: true })
  }
}

/** the availability store's rebuild from CSV in the last service started (its log line) */
let availRebuild = { done: false, ms: -1, rows: 0 }

interface Service { base: string, pid: number, rows: number, rebuildMs: number, progressLines: number, stop: () => Promise<void> }

/** The real service (dist/) on `n` devices with `h` hours of generated history, once its read-back is done. */
async function startService (n: number, h: number, rebuildAvailability = false): Promise<Service> {
  const work = join(tmpdir(), `mpm-bench-api-${n}x${h}h`)
  const csvDir = join(work, 'ping_results')
  mkdirSync(work, { recursive: true })
  const endMs = Date.now()
  log(`generating ${n} devices x ${h} h of history in ${csvDir} (cached between runs) ...`)
  const t0 = Date.now()
  const rows = generateHistory(csvDir, endMs, n, h)
  log(`  ${rows} rows ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  // the service appends to these files: it works on the same dir and each run adds a few minutes of
  // live rows (the generated history is made again when an hour old)
  makeInventory(join(work, 'inventaris.sqlite'), n)
  // the availability record of issue 14: 10,000 devices in 500 locations over 91 days (cached)
  const availFile = join(tmpdir(), 'mpm-bench-api-availability-10000x500-groups.sqlite')
  if (!existsSync(availFile) || Date.now() - statSync(availFile).mtimeMs > 3_600_000) {
    log('seeding the availability store: 10,000 devices x 91 days ...')
    const seeded = seedStore({ file: availFile, devices: 10_000, locations: 500, days: 91, endMs: Date.now(), allHours: false })
    log(`  ${(seeded.bytes / 1e6).toFixed(0)} MB in ${seeded.seconds.toFixed(0)} s (npm run bench:availability prints the size per device per day)`)
  }
  const port = 15000 + Math.floor(Math.random() * 5000)
  const started = Date.now()
  // the rebuild run: a store of its own, empty, so every CSV file still there is rebuilt at start
  const store = rebuildAvailability ? join(work, 'availability-rebuilt.sqlite') : availFile
  if (rebuildAvailability) for (const x of ['', '-wal', '-shm']) rmSync(store + x, { force: true })
  const svc = spawn(process.execPath, [join(ROOT, 'dist/src/server.js')], {
    env: { ...process.env, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), DB_CONNECTION: 'sqlite', SQLITE_FILE: join(work, 'inventaris.sqlite'), CSV_OUTPUT_DIR: csvDir, AVAILABILITY_FILE: store, CSV_RETENTION_DAYS: '0', HISTORY_HOURS: String(rebuildAvailability ? 1 : Math.max(1, h)), PING_INTERVAL: '5', PING_TIMEOUT: '3', MAX_CSV_RECORDS: String(MAX_RECORDS), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let rebuildMs = -1
  let progressLines = 0
  availRebuild = { done: false, ms: -1, rows: 0 }
  svc.stdout.setEncoding('utf8').on('data', (d: string) => {
    for (const line of d.split('\n')) {
      if (line.includes('reading earlier results back')) progressLines++
      if (line.includes('"msg":"earlier results read back"')) rebuildMs = JSON.parse(line).duration_ms
      if (line.includes('"msg":"availability rollups rebuilt from CSV"')) {
        const m = JSON.parse(line)
        availRebuild = { done: true, ms: m.duration_ms, rows: m.rows }
      }
    }
  })
  const exited = new Promise((resolve) => svc.once('exit', resolve))
  const stop = async () => {
    svc.kill('SIGTERM')
    await exited
    if (!args.keep) rmSync(join(work, 'inventaris.sqlite'), { force: true })
  }
  const base = `http://127.0.0.1:${port}`
  try {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 250))
      try {
        const health = await getJson(`${base}/api/health`)
        if (health.history.loading === false && rebuildMs >= 0 && health.monitor?.cycles !== 0) break
      } catch {}
      if (Date.now() - started > 600_000) throw new Error('service did not finish the rebuild in 10 minutes')
    }
  } catch (err) {
    await stop()
    throw err
  }
  return { base, pid: svc.pid!, rows, rebuildMs, progressLines, stop }
}

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
  const st = await getRaw(base + '/api/ping/status', { 'accept-encoding': BROWSER_AE })
  const notModified = await getRaw(base + '/api/ping/status', { 'accept-encoding': BROWSER_AE, 'if-none-match': st.headers.etag ?? '' })
  if (notModified.status !== 304) throw new Error(`status with its own ETag: ${notModified.status}, not 304`)
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
          runs[k][i].push(autocannon(base + r, c.headers))
          const after = (await getJson(`${base}/api/ping/service/status`)).data
          cyclesDuringLoad += after.cycles - before.cycles
          overrunsDuringLoad += after.overruns - before.overruns
          if (args['no-floor']) continue
          const got = await getRaw(base + r, c.headers)
          const same: Record<string, string> = {}
          for (const h of ['content-encoding', 'vary', 'etag', 'cache-control', 'x-mpm-shard']) if (got.headers[h] !== undefined) same[h] = got.headers[h]
          floorRuns[k][i].push(await withBareServer(got.body, same, (url) => {
            log(`round ${round}/${ROUNDS}: loading a bare node:http server with the ${got.body.length}-byte ${c.name} answer of ${r} ...`)
            return autocannon(url, c.headers)
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
        for (let k = 0; !availRebuild.done; k++) {
          during.push(autocannon(rs.base + (k % 2 === 0 ? '/api/health' : '/api/ping/status'), { 'accept-encoding': 'gzip, br' }))
          if (Date.now() - startedLoad > 900_000) throw new Error('availability rebuild not done in 15 minutes')
        }
      } finally {
        await rs.stop()
      }
      const p99s = (path: string) => during.filter((l) => l.route.endsWith(path)).map((l) => l.p99)
      avail.push(`rebuild of ${rH / 24} days x ${rN} devices of rollups from CSV at start: ${(availRebuild.ms / 1000).toFixed(1)} s for ${availRebuild.rows} rows (service started ${((Date.now() - t0) / 1000).toFixed(0)} s before the end, history read-back of 1 h beside it); meanwhile ${during.length} load runs of ${DURATION} s, all answered: p99 ms /api/health ${p99s('/api/health').join(' ')}, /api/ping/status ${p99s('/api/ping/status').join(' ')}, errors ${during.reduce((n, l) => n + l.errors, 0)}; load average ${loadAverage()}`)
      log(avail[avail.length - 1])
    }

    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
    const summarize = (ls: Load[]): Load | null => ls.length === 0
      ? null
      : { route: ls[0].route, rps: med(ls.map((l) => l.rps)), p50: med(ls.map((l) => l.p50)), p99: med(ls.map((l) => l.p99)), errors: ls.reduce((n, l) => n + l.errors, 0), requests: ls.reduce((n, l) => n + l.requests, 0) }
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
          return { ...l, route: r, bare_rps: f?.rps ?? null, bare_p50: f?.p50 ?? null, bare_p99: f?.p99 ?? null, p99_per_round: runs[k][i].map((x) => x.p99), bare_p99_per_round: floorRuns[k][i].map((x) => x.p99) }
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
        console.log('| route | req/s | p50 ms | p99 ms | errors | bare node:http, same bytes: req/s | p50 ms | p99 ms | p99 / bare | p99 per round (service; bare) |')
        console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |')
        for (const l of c.routes.filter((x) => x.rps !== undefined)) console.log(`| \`GET ${l.route}\` | ${l.rps} | ${l.p50} | ${l.p99} | ${l.errors} | ${l.bare_rps ?? '-'} | ${l.bare_p50 ?? '-'} | ${l.bare_p99 ?? '-'} | ${l.bare_p99 !== null && l.p99 !== undefined ? (l.p99 / l.bare_p99).toFixed(2) : '-'} | ${l.p99_per_round.join(' ')}; ${l.bare_p99_per_round.join(' ')} |`)
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
