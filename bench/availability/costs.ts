import { execFile } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { pathToFileURL } from 'node:url'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { StateTable } from '../../src/state/state-table.js'
import { cycleOfRows } from '../../src/monitor/cycle.js'
import { formatLocalIso, localDateKey } from '../../src/lib/local-time.js'
import { CSV_HEADER, type ResultRow } from '../../src/storage/result-row.js'
import { csvFileName } from '../../src/storage/csv-files.js'
import { seedStore } from './seed-store.js'

/** the machine's load average now (1, 5, 15 min): printed beside each figure, taken on a shared machine */
export const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
const r1 = (x: number) => Math.round(x * 10) / 10
const pct = (xs: number[], q: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] }
const SETTINGS = { downAfterFailures: 3, upAfterSuccesses: 2, flapChanges: 0, flapWindow: 20 }
const quiet = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as any

/** Store size per device per day: every hour and day written (device and group rows), as the service does. */
export function storeSize (work: string, devices = 200, days = 10, locations = 10): string {
  mkdirSync(work, { recursive: true })
  const r = seedStore({ file: join(work, 'size.sqlite'), devices, locations, days, endMs: Date.now(), allHours: true })
  return `store size: ${(r.bytes / devices / days / 1024).toFixed(2)} kB per device per day (${devices} devices in ${locations} locations x ${days} days, hourly + daily device and group rows: ${(r.bytes / 1e6).toFixed(1)} MB); load average ${loadAverage()}`
}

/**
 * The cycle's extra main-thread cost of outages + rollups at `devices` devices (the availability
 * stage's cycle, the device state stage before it not counted), and one flush of a minute's rows.
 * `root` is the checkout: the service's modules that start worker threads come from its dist/.
 */
export async function cycleCost (root: string, work: string, devices: number, cycles: number): Promise<string> {
  mkdirSync(work, { recursive: true })
  const file = join(work, 'cycle.sqlite')
  for (const s of ['', '-wal', '-shm']) rmSync(file + s, { force: true })
  const table = new StateTable(SETTINGS)
  let now = Date.now()
  const mod = await import(pathToFileURL(join(root, 'dist/src/availability/availability-service.js')).href) as typeof import('../../src/availability/availability-service.js')
  const avail = mod.createAvailability({ file, days: 400, intervalS: 5, csvDir: join(work, 'none'), stateSettings: SETTINGS, log: quiet, now: () => now, stateOf: (id) => table.get(id)?.snapshot(), flushEveryMs: 3_600_000 })
  avail.start()
  avail.stage.inventory?.(Array.from({ length: devices }, (_, i) => ({ device_id: i + 1, location: { id: (i + 1) % 500, name: '' }, type: { id: (i + 1) % 7, name: '' }, rack: `R${(i + 1) % 40}` })) as any)
  const times: number[] = []
  for (let c = 0; c < cycles; c++) {
    now += 5000
    const rows: Array<{ row: ResultRow, at: number }> = []
    for (let id = 1; id <= devices; id++) {
      const ok = !(id % 20 === 0 && c % 10 < 5)
      rows.push({ at: now, row: { timestamp: '', device_id: id, ip_address: '', hostname: '', ping_success: ok, response_time_ms: ok ? 1.3 : null, error_message: '' } })
      // the device state stage runs before, in the service; not part of this cost
      table.apply({ device_id: id, ip_address: '', hostname: '', success: ok, error: '', at: now })
    }
    // the columns (this checkout) and the rows (a baseline from before the cycle became columns): either reads its own
    const cycle = Object.assign(cycleOfRows(rows, devices), { rows })
    const t0 = performance.now()
    avail.stage.cycle?.(cycle, {} as any)
    times.push(performance.now() - t0)
  }
  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  const f0 = performance.now()
  await avail.flush()
  const flushMs = performance.now() - f0
  loop.disable()
  await avail.close()
  return `cycle extra cost (outages + rollups, main thread), ${devices} devices: mean ${r1(times.reduce((a, b) => a + b, 0) / times.length)} ms, median ${r1(pct(times, 0.5))} ms, p99 ${r1(pct(times, 0.99))} ms, max ${r1(Math.max(...times))} ms over ${cycles} cycles; flush of ${devices} device rows + their group rows: ${r1(flushMs)} ms in turns, longest event-loop stall ${r1(loop.max / 1e6)} ms; load average ${loadAverage()}`
}

/**
 * `devices` x `days` of 5-second results as the service writes them (every 20th device down 10
 * minutes an hour), ending at the last whole hour; cached in `dir` between runs (a day of 1,000
 * devices is 17.3 M rows, ~0.95 GB). Written as bytes: each device's line without its timestamp is
 * made once and copied (a template string per row took 66 s per day; 30 days must be written fast).
 */
export function writeCsv (dir: string, devices: number, days: number, end: number): void {
  const marker = join(dir, '.complete')
  if (existsSync(marker) && readFileSync(marker, 'utf8') === String(end)) return
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const up: Buffer[] = []
  const down: Buffer[] = []
  for (let id = 1; id <= devices; id++) {
    up.push(Buffer.from(`,${id},127.0.${id >> 8}.${id & 255},d${id},true,1.30,\n`))
    down.push(Buffer.from(`,${id},127.0.${id >> 8}.${id & 255},d${id},false,,timeout\n`))
  }
  const buf = Buffer.allocUnsafe(8 * 1024 * 1024)
  let used = 0
  let fd = -1
  let key = ''
  const drain = () => { if (used > 0) writeSync(fd, buf, 0, used); used = 0 }
  for (let at = end - days * 86_400_000; at < end; at += 5000) {
    const k = localDateKey(at)
    if (k !== key) {
      if (fd !== -1) { drain(); closeSync(fd) }
      fd = openSync(join(dir, csvFileName(k, 1)), 'w')
      writeSync(fd, CSV_HEADER)
      key = k
    }
    const ts = Buffer.from(formatLocalIso(at))
    const isDown = Math.floor(at / 600_000) % 6 === 0
    for (let id = 1; id <= devices; id++) {
      const line = isDown && id % 20 === 0 ? down[id - 1] : up[id - 1]
      if (used + ts.length + line.length > buf.length) drain()
      used += ts.copy(buf, used)
      used += line.copy(buf, used)
    }
  }
  drain()
  closeSync(fd)
  writeFileSync(marker, String(end))
}

interface Slice { requests: number, p50: number, p99: number, max: number, errors: number }

/** autocannon in its own process, asynchronously (the server it loads runs in this one) */
async function load (root: string, url: string, seconds: number): Promise<Slice> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'node_modules/autocannon/autocannon.js'), '-c', '10', '-d', String(seconds), '-j', url], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const r = JSON.parse(stdout)
  return { requests: r.requests.total, p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max, errors: r.errors + r.non2xx + r.timeouts }
}

/**
 * The service's start-up rebuild of `days` of rollups from the CSV of `devices` devices (an empty
 * store, as after an upgrade), in the real app (dist/) in this process, while autocannon asks
 * `/api/health` and `/api/ping/availability?window=24h&group_by=location` in 5-second slices from
 * another process until the rebuild is done: the rebuild's time, and the API's answers meanwhile.
 */
export async function rebuildWhileServing (root: string, work: string, dir: string, devices: number, days: number, log: (m: string) => void): Promise<string> {
  const file = join(work, 'rebuild.sqlite')
  for (const s of ['', '-wal', '-shm']) rmSync(file + s, { force: true })
  let rebuildMs = -1
  let rows = 0
  let progressLines = 0
  const { default: pino } = await import('pino')
  // the service's log lines: the rebuild's progress and its end (with its duration)
  const logger = pino({ level: 'info' }, {
    write: (line: string) => {
      if (line.includes('rebuilding availability rollups from CSV')) progressLines++
      if (line.includes('availability rollups rebuilt from CSV')) { const o = JSON.parse(line); rebuildMs = o.duration_ms; rows = o.rows }
      if (line.includes('"level":50')) log(`  service error: ${line.trim()}`)
    }
  })
  const { buildServer } = await import(pathToFileURL(join(root, 'dist/src/build.js')).href) as typeof import('../../src/build.js')
  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  const app = await buildServer({
    env: { DB_CONNECTION: 'sqlite', SQLITE_FILE: join(work, 'rebuild-inventaris.sqlite'), CSV_OUTPUT_DIR: dir, AVAILABILITY_FILE: file, CSV_RETENTION_DAYS: '0', HISTORY_HOURS: '1', NODE_ENV: 'production', LOG_LEVEL: 'info' },
    loggerInstance: logger as any
  })
  // building the app starts nothing (src/app.ts): the rebuild begins with the service, as in src/server.ts
  await (app as any).service.start()
  await app.listen({ host: '127.0.0.1', port: 0 })
  const startStall = loop.max
  // the loop while the rebuild runs (the start before it reads back HISTORY_HOURS on the main thread)
  const during = monitorEventLoopDelay({ resolution: 1 })
  during.enable()
  const base = `http://127.0.0.1:${(app.server.address() as any).port}`
  const avail = (app as any).service.availability.availability as { status: () => { rebuilding: boolean }, rebuilt: () => Promise<void> }
  const slices: Array<{ health: Slice, route: Slice }> = []
  try {
    while (avail.status().rebuilding) {
      const [health, route] = await Promise.all([load(root, `${base}/api/health`, 5), load(root, `${base}/api/ping/availability?window=24h&group_by=location`, 5)])
      slices.push({ health, route })
    }
    await avail.rebuilt()
  } finally {
    loop.disable()
    during.disable()
    await app.close()
  }
  if (rebuildMs < 0) throw new Error('the service did not log the end of its rebuild')
  const sum = (f: (s: { health: Slice, route: Slice }) => number) => slices.reduce((n, s) => n + f(s), 0)
  // a slice without one answer has no p99 (autocannon says 0): shown as "none", left out of the median
  const fmt = (k: 'health' | 'route') => {
    const answered = slices.filter((s) => s[k].requests > 0).map((s) => s[k].p99)
    const median = answered.length === 0 ? 'none' : `${pct(answered, 0.5)} ms`
    return `${sum((s) => s[k].requests)} answers, ${sum((s) => s[k].errors)} errors, ${slices.length - answered.length} of ${slices.length} slices without an answer, p99 median of slices ${median}, worst slice p99 ${Math.max(0, ...answered)} ms (per 5-s slice ${slices.map((s) => s[k].requests > 0 ? String(s[k].p99) : 'none').join(' ')}), max ${Math.max(...slices.map((s) => s[k].max))} ms`
  }
  return `[${root}] rebuild of ${days} days x ${devices} devices from CSV at start (empty store): ${(rebuildMs / 1000).toFixed(1)} s for ${rows} rows (${Math.round(rows / (rebuildMs / 1000) / 1000)} k rows/s, ${progressLines} progress lines); event loop during the rebuild: p99 ${r1(during.percentile(99) / 1e6)} ms, max stall ${r1(during.max / 1e6)} ms (start with its read-back: max ${r1(startStall / 1e6)} ms); meanwhile (10 connections each, ${slices.length} slices) /api/health: ${fmt('health')}; /api/ping/availability?window=24h&group_by=location: ${fmt('route')}; load average ${loadAverage()}`
}
