/**
 * `npm run bench:api`: the read routes under load, on a day of history, while the monitor runs.
 *
 * 1. Generates CSV history: N devices x H hours at 5-second cycles (some devices down, some
 *    flapping), in the files and format the service writes (cached between runs).
 * 2. Starts the real service (dist/) on it with live cycles against loopback devices, and times the
 *    rebuild of the in-memory history; reads RSS after it.
 * 3. Loads each read route with autocannon from a second process, and prints requests/s, p50/p99
 *    latency and errors per route, plus the monitor's overruns during the load.
 *
 * Run inside a private network namespace (npm run bench:api does that): live pings go to loopback only.
 */
import { spawn, execFileSync } from 'node:child_process'
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
    'no-floor': { type: 'boolean', default: false }
  }
})
const N = Number(args.devices)
const H = Number(args.hours)
const CONNECTIONS = Number(args.connections)
const DURATION = Number(args.duration)
const ROUNDS = Number(args.rounds)
const MAX_RECORDS = Number(args['max-records'])
const INTERVAL_MS = 5000
const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const log = (m: string) => { if (!args.json) process.stderr.write(m + '\n') }

const ipOf = (id: number) => `127.${1 + Math.floor(id / 65536)}.${Math.floor(id / 256) % 256}.${id % 256}`
/** 5% always down, 5% flapping (down for 2 of every 10 minutes), the rest up */
const kindOf = (id: number) => id % 20 === 0 ? 'down' : id % 20 === 1 ? 'flap' : 'up'

function generateHistory (dir: string, endMs: number): number {
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

function makeInventory (file: string): void {
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

interface Load { route: string, rps: number, p50: number, p99: number, errors: number, requests: number }

function autocannon (url: string): Load {
  const out = execFileSync(process.execPath, [join(ROOT, 'node_modules/autocannon/autocannon.js'), '-c', String(CONNECTIONS), '-d', String(DURATION), '-j', url], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const r = JSON.parse(out)
  return { route: url.replace(/^http:\/\/[^/]+/, ''), rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx + r.timeouts, requests: r.requests.total }
}

/** A node:http server in its own process that answers every request with `body`: the floor of what any server can do here. */
async function withBareServer (body: Buffer, run: (url: string) => Load): Promise<Load> {
  const file = join(tmpdir(), `mpm-bench-api-body-${process.pid}`)
  writeFileSync(file, body)
  const script = `const http = require('node:http'); const body = require('node:fs').readFileSync(process.env.BODY_FILE);
    const s = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length }); res.end(body) });
    s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'))`
  const child = spawn(process.execPath, ['-e', script], { env: { BODY_FILE: file }, stdio: ['ignore', 'pipe', 'inherit'] })
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

async function main (): Promise<void> {
  if (process.env.MPM_NETNS_READY !== '1') log('note: not inside the private network namespace; live devices in 127.66.0.0/16 will answer')
  const work = join(tmpdir(), `mpm-bench-api-${N}x${H}h`)
  const csvDir = join(work, 'ping_results')
  mkdirSync(work, { recursive: true })
  const endMs = Date.now()
  log(`generating ${N} devices x ${H} h of history in ${csvDir} (cached between runs) ...`)
  const t0 = Date.now()
  const rows = generateHistory(csvDir, endMs)
  log(`  ${rows} rows ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  // the service appends to these files: work on a copy-free basis by pointing it at the same dir and
  // accepting that each run adds a few minutes of live rows (the cache is rebuilt when an hour old)
  makeInventory(join(work, 'inventaris.sqlite'))
  // the availability record of issue 14: 10,000 devices in 500 locations over 91 days (cached)
  const availFile = join(tmpdir(), 'mpm-bench-api-availability-10000x500.sqlite')
  if (!existsSync(availFile) || Date.now() - statSync(availFile).mtimeMs > 3_600_000) {
    log('seeding the availability store: 10,000 devices x 91 days ...')
    const seeded = seedStore({ file: availFile, devices: 10_000, locations: 500, days: 91, endMs: Date.now(), allHours: false })
    log(`  ${(seeded.bytes / 1e6).toFixed(0)} MB in ${seeded.seconds.toFixed(0)} s (npm run bench:availability prints the size per device per day)`)
  }
  const port = 15000 + Math.floor(Math.random() * 5000)
  const started = Date.now()
  const svc = spawn(process.execPath, [join(ROOT, 'dist/src/server.js')], {
    env: { ...process.env, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), DB_CONNECTION: 'sqlite', SQLITE_FILE: join(work, 'inventaris.sqlite'), CSV_OUTPUT_DIR: csvDir, AVAILABILITY_FILE: availFile, CSV_RETENTION_DAYS: '0', HISTORY_HOURS: String(H), PING_INTERVAL: '5', PING_TIMEOUT: '3', MAX_CSV_RECORDS: String(MAX_RECORDS), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let rebuildMs = -1
  let progressLines = 0
  svc.stdout.setEncoding('utf8').on('data', (d: string) => {
    for (const line of d.split('\n')) {
      if (line.includes('reading earlier results back')) progressLines++
      if (line.includes('"msg":"earlier results read back"')) rebuildMs = JSON.parse(line).duration_ms
    }
  })
  const base = `http://127.0.0.1:${port}`
  try {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 250))
      try {
        const h = await getJson(`${base}/api/health`)
        if (h.history.loading === false && rebuildMs >= 0) break
      } catch {}
      if (Date.now() - started > 600_000) throw new Error('service did not finish the rebuild in 10 minutes')
    }
    const rssAfter = rssMb(svc.pid!)
    log(`rebuild ${(rebuildMs / 1000).toFixed(1)} s (${progressLines} progress lines), RSS after rebuild ${rssAfter.toFixed(0)} MB`)
    const routes = [
      '/api/ping/status',
      '/api/ping/latest?limit=1000',
      '/api/ping/statistics?hours=24',
      `/api/ping/device/${Math.ceil(N / 2) + 2}?hours=1`,
      `/api/ping/devices/${Math.ceil(N / 2) + 2}/timeline?hours=24&bucket=300`,
      '/api/ping/availability?window=90d&group_by=location'
    ].map((r) => r.replace('hours=24', `hours=${H}`))
    // rounds: each route, then the same bytes from a bare node:http server (the floor of what any server
    // can do here, loaded the same way on the same machine while the service keeps cycling beside it);
    // figures are medians over the rounds, since one 10-second run on a shared 2-core machine varies a lot
    const runs: Load[][] = routes.map(() => [])
    const floorRuns: Load[][] = routes.map(() => [])
    let cyclesDuringLoad = 0
    let overrunsDuringLoad = 0
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [i, r] of routes.entries()) {
        const before = (await getJson(`${base}/api/ping/service/status`)).data
        log(`round ${round}/${ROUNDS}: loading ${r} with ${CONNECTIONS} connections for ${DURATION} s ...`)
        runs[i].push(autocannon(base + r))
        const after = (await getJson(`${base}/api/ping/service/status`)).data
        cyclesDuringLoad += after.cycles - before.cycles
        overrunsDuringLoad += after.overruns - before.overruns
        if (args['no-floor']) continue
        const body = Buffer.from(await (await fetch(base + r)).arrayBuffer())
        floorRuns[i].push(await withBareServer(body, (url) => {
          log(`round ${round}/${ROUNDS}: loading a bare node:http server with the ${body.length}-byte answer of ${r} ...`)
          return autocannon(url)
        }))
      }
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
    const summarize = (ls: Load[]): Load | null => ls.length === 0
      ? null
      : { route: ls[0].route, rps: med(ls.map((l) => l.rps)), p50: med(ls.map((l) => l.p50)), p99: med(ls.map((l) => l.p99)), errors: ls.reduce((n, l) => n + l.errors, 0), requests: ls.reduce((n, l) => n + l.requests, 0) }
    const loads = runs.map((ls) => summarize(ls) as Load)
    const floors = floorRuns.map(summarize)
    const result = {
      devices: N,
      hours: H,
      rows,
      rebuild_s: rebuildMs / 1000,
      rss_after_rebuild_mb: Math.round(rssAfter),
      rss_end_mb: Math.round(rssMb(svc.pid!)),
      cycles_during_load: cyclesDuringLoad,
      overruns_during_load: overrunsDuringLoad,
      rounds: ROUNDS,
      p99_per_round: runs.map((ls) => ls.map((l) => l.p99)),
      connections: CONNECTIONS,
      duration_s: DURATION,
      routes: loads.map((l, i) => ({ ...l, bare_rps: floors[i]?.rps ?? null, bare_p50: floors[i]?.p50 ?? null, bare_p99: floors[i]?.p99 ?? null, bare_p99_per_round: floorRuns[i].map((f) => f.p99) }))
    }
    if (args.json) {
      process.stdout.write(JSON.stringify(result, null, 2) + '\n')
    } else {
      console.log(`\n${N} devices, ${H} h of history (${rows} rows), ${CONNECTIONS} connections, ${DURATION} s per route`)
      console.log(`rebuild at start: ${result.rebuild_s.toFixed(1)} s; RSS after rebuild: ${result.rss_after_rebuild_mb} MB; at the end: ${result.rss_end_mb} MB`)
      console.log(`monitor during the load (the service's own runs): ${result.cycles_during_load} cycles, ${result.overruns_during_load} overruns`)
      console.log(`medians over ${ROUNDS} rounds of ${DURATION} s per route; p99 of each round: service ${JSON.stringify(result.p99_per_round)}, bare ${JSON.stringify(result.routes.map((r) => r.bare_p99_per_round))}\n`)
      console.log('| route | req/s | p50 ms | p99 ms | errors | bare node:http, same bytes: req/s | p50 ms | p99 ms |')
      console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
      for (const l of result.routes) console.log(`| \`GET ${l.route}\` | ${l.rps} | ${l.p50} | ${l.p99} | ${l.errors} | ${l.bare_rps ?? '-'} | ${l.bare_p50 ?? '-'} | ${l.bare_p99 ?? '-'} |`)
    }
  } finally {
    svc.kill('SIGTERM')
    await new Promise((resolve) => svc.once('exit', resolve))
    if (!args.keep) rmSync(join(work, 'inventaris.sqlite'), { force: true })
  }
}

main().catch((err) => {
  process.stderr.write(`bench:api failed: ${String(err?.stack ?? err)}\n`)
  process.exit(1)
})
