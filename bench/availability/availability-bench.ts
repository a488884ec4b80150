/**
 * `npm run bench:availability`: the figures of issue 14, printed (the lead runs it on a quiet machine).
 *
 * 1. Store size per device per day (every hour and day written, as the service does).
 * 2. `GET /api/ping/availability?window=90d&group_by=location` for --devices devices in --locations
 *    locations: p50/p99 under autocannon, beside a bare node:http server sending the same bytes.
 * 3. The cycle's extra main-thread cost of outages + rollups at --devices devices, and the flush.
 * 4. Rebuilding --rebuild-days of rollups from CSV for --rebuild-devices devices at the real app's start
 *    (empty store): rows, time, rows/s, the event loop's p99 and longest stall during it, and the API's
 *    answers meanwhile (autocannon); `--compare /work/baseline` runs another checkout's build beside it,
 *    alternately (`--rounds`); `--delete-csv` removes the generated CSV afterwards.
 */
import { execFile, spawn } from 'node:child_process'
import { mkdirSync, writeFileSync, existsSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs, promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { pathToFileURL } from 'node:url'
import { seedStore } from './seed-store.js'
import { cycleCost, loadAverage, rebuildWhileServing, storeSize, writeCsv } from './costs.js'

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '10000' },
    locations: { type: 'string', default: '500' },
    days: { type: 'string', default: '90' },
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '10' },
    cycles: { type: 'string', default: '200' },
    'rebuild-devices': { type: 'string', default: '1000' },
    'rebuild-days': { type: 'string', default: '30' },
    only: { type: 'string', default: 'size,route,cycle,rebuild' },
    // a second checkout (e.g. /work/baseline, with its dist/) whose rebuild runs beside this one's, alternately
    compare: { type: 'string', default: '' },
    // how many times each checkout's rebuild runs (alternating when --compare is given)
    rounds: { type: 'string', default: '1' },
    // delete the generated CSV afterwards (30 days x 1,000 devices is ~28 GB)
    'delete-csv': { type: 'boolean', default: false }
  }
})
const N = Number(args.devices)
const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
// what starts worker threads comes from dist/ (npm run build), where the worker files sit beside it
const fromDist = async <T>(path: string): Promise<T> => await import(pathToFileURL(join(ROOT, 'dist', path)).href) as T
const only = new Set(String(args.only).split(','))
const log = (m: string) => process.stderr.write(m + '\n')
const work = join(tmpdir(), 'mpm-bench-availability')
mkdirSync(work, { recursive: true })

interface Load { rps: number, p50: number, p99: number, errors: number }
// asynchronous: the service under load runs in this very process
async function autocannon (url: string): Promise<Load> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules/autocannon/autocannon.js'), '-c', String(args.connections), '-d', String(args.duration), '-j', url], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const r = JSON.parse(stdout)
  return { rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx + r.timeouts }
}

async function bare (body: Buffer): Promise<Load> {
  const file = join(work, 'bare-body')
  writeFileSync(file, body)
  const script = `const http = require('node:http'); const body = require('node:fs').readFileSync(process.env.BODY_FILE);
    const s = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length }); res.end(body) });
    s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'))`
  const child = spawn(process.execPath, ['-e', script], { env: { BODY_FILE: file }, stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const port = await new Promise<string>((resolve) => child.stdout.setEncoding('utf8').once('data', (d: string) => resolve(d.trim())))
    return await autocannon(`http://127.0.0.1:${port}/`)
  } finally {
    child.kill('SIGTERM')
  }
}

async function route (): Promise<void> {
  const file = join(work, `route-${N}x${String(args.days)}d.sqlite`)
  const t0 = Date.now()
  if (!existsSync(file)) {
    log(`seeding ${N} devices in ${String(args.locations)} locations x ${String(args.days)} days ...`)
    seedStore({ file, devices: N, locations: Number(args.locations), days: Number(args.days) + 1, endMs: Date.now(), allHours: false })
  }
  log(`  store ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  const csvDir = join(work, 'route-csv')
  mkdirSync(csvDir, { recursive: true })
  const { buildServer } = await fromDist<typeof import('../../src/build.js')>('src/build.js')
  const app = await buildServer({
    env: { DB_CONNECTION: 'sqlite', SQLITE_FILE: join(work, 'inventaris.sqlite'), CSV_OUTPUT_DIR: csvDir, AVAILABILITY_FILE: file, NODE_ENV: 'production', LOG_LEVEL: 'warn' },
    loggerInstance: pino({ level: 'warn' }) as any
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${(app.server.address() as any).port}/api/ping/availability?window=90d&group_by=location`
  const first = Date.now()
  const res = await fetch(url)
  const body = Buffer.from(await res.arrayBuffer())
  log(`first answer (nothing cached): ${Date.now() - first} ms, ${res.status}, ${body.length} bytes`)
  const load = await autocannon(url)
  const floor = await bare(body)
  await app.close()
  console.log(`availability?window=90d&group_by=location, ${N} devices / ${String(args.locations)} locations: ${load.rps} req/s, p50 ${load.p50} ms, p99 ${load.p99} ms, errors ${load.errors} | bare node:http same bytes: ${floor.rps} req/s, p50 ${floor.p50} ms, p99 ${floor.p99} ms; load average ${loadAverage()}`)
}

async function main (): Promise<void> {
  if (only.has('size')) console.log(storeSize(work))
  if (only.has('route')) await route()
  if (only.has('cycle')) console.log(await cycleCost(ROOT, work, N, Number(args.cycles)))
  if (only.has('rebuild')) {
    const devices = Number(args['rebuild-devices'])
    const days = Number(args['rebuild-days'])
    const dir = join(work, `csv-${devices}x${days}d`)
    const g0 = Date.now()
    log(`writing ${devices} devices x ${days} days of CSV in ${dir} (cached for the hour) ...`)
    writeCsv(dir, devices, days, Math.floor(Date.now() / 3_600_000) * 3_600_000)
    log(`  CSV ready in ${((Date.now() - g0) / 1000).toFixed(1)} s, load average ${loadAverage()}`)
    const roots = args.compare === '' ? [ROOT] : [ROOT, String(args.compare)]
    try {
      for (let r = 0; r < Number(args.rounds); r++) for (const root of roots) console.log(await rebuildWhileServing(root, work, dir, devices, days, log))
    } finally {
      if (args['delete-csv'] === true) rmSync(dir, { recursive: true, force: true })
    }
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
