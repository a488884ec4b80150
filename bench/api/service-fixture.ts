/**
 * The real service on generated history, for the API benches: N devices x H hours of CSV history at
 * 5-second cycles (some devices down, some flapping) in the files and format the service writes
 * (cached between runs under the temporary directory), an SQLite inventory, and the service (dist/)
 * started on them with live cycles against loopback devices.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import Database from 'better-sqlite3'
import { formatLocalIso, localDateKey } from '../../src/lib/local-time.js'
import { CSV_HEADER } from '../../src/storage/result-row.js'
import { csvFileName } from '../../src/storage/csv-files.js'
import { seedStore } from '../availability/seed-store.js'
import { startProdNodeFlags } from '../service-command.js'

const INTERVAL_MS = 5000

type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & { default: string | boolean }

/** the options every API bench takes: the service's inventory and history, and the load on it */
const LOAD_OPTIONS = {
  devices: { type: 'string', default: '1000' },
  hours: { type: 'string', default: '24' },
  connections: { type: 'string', default: '50' },
  duration: { type: 'string', default: '10' },
  'max-records': { type: 'string', default: '1000' },
  help: { type: 'boolean', default: false }
} as const satisfies Record<string, OptionSpec>

const LOAD_HELP: Record<keyof typeof LOAD_OPTIONS, string> = {
  devices: 'devices in the generated inventory and history',
  hours: 'hours of generated history (5-second cycles)',
  connections: 'autocannon connections',
  duration: 'seconds per load run',
  'max-records': 'MAX_CSV_RECORDS of the service (rows per CSV file)',
  help: 'this text'
}

/** parsed option values: every option has a default, so each is there */
type Values<T> = { [K in keyof T]: T[K] extends { type: 'boolean' } ? boolean : string }

/** the load settings, as numbers */
export interface LoadSettings { devices: number, hours: number, connections: number, duration: number, rounds: number, maxRecords: number }

/**
 * The command line of an API bench: the options all of them take (LOAD_OPTIONS, and `rounds` with
 * this bench's default) and its own, each with a line of help; `--help` prints them and exits.
 */
export function parseBenchArgs<const O extends Record<string, OptionSpec>> (usage: string, rounds: string, own: O, help: { [K in keyof O]: string }): { values: Values<typeof LOAD_OPTIONS & O>, load: LoadSettings } {
  const options: Record<string, OptionSpec> = { ...LOAD_OPTIONS, rounds: { type: 'string', default: rounds }, ...own }
  const { values } = parseArgs({ options, strict: true, allowPositionals: false })
  if (values.help === true) {
    const lines: Record<string, string> = { ...LOAD_HELP, rounds: 'rounds (figures are medians over them)', ...help }
    process.stdout.write(`${usage}\n\noptions:\n`)
    for (const [name, o] of Object.entries(options) as Array<[string, OptionSpec]>) {
      const value = o.type === 'boolean' ? '' : ` <${String(o.default) === '' ? 'value' : String(o.default)}>`
      process.stdout.write(`  --${name}${value}  ${lines[name] ?? ''}\n`)
    }
    process.exit(0)
  }
  const num = (name: string): number => {
    const v = Number(values[name])
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${name}: expected a number >= 0, not ${String(values[name])}`)
    return v
  }
  const load: LoadSettings = { devices: num('devices'), hours: num('hours'), connections: num('connections'), duration: num('duration'), rounds: num('rounds'), maxRecords: num('max-records') }
  return { values: values as Values<typeof LOAD_OPTIONS & O>, load }
}

async function getJson (url: string): Promise<any> {
  const res = await fetch(url)
  return await res.json()
}

const ipOf = (id: number) => `127.${1 + Math.floor(id / 65536)}.${Math.floor(id / 256) % 256}.${id % 256}`
/** 5% always down, 5% flapping (down for 2 of every 10 minutes), the rest up */
const kindOf = (id: number) => id % 20 === 0 ? 'down' : id % 20 === 1 ? 'flap' : 'up'

export function generateHistory (dir: string, endMs: number, N: number, H: number, MAX_RECORDS: number): number {
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

export function makeInventory (file: string, N: number): void {
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

export function rssMb (pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m === null ? 0 : Number(m[1]) / 1024
}

export interface Service {
  base: string
  pid: number
  rows: number
  rebuildMs: number
  progressLines: number
  /** the availability store's rebuild from CSV (its log line), when asked for */
  availRebuild: { done: boolean, ms: number, rows: number }
  stop: () => Promise<void>
}

export interface ServiceOptions {
  /** the checkout whose dist/ runs (this one, or a baseline's) */
  root: string
  maxRecords: number
  /** keep the inventory file when stopped */
  keep: boolean
  log: (m: string) => void
  /** extra settings for the service */
  env?: Record<string, string>
  /** node's own flags for the service (--cpu-prof is not allowed in NODE_OPTIONS) */
  execArgv?: string[]
}

/** The real service (dist/) on `n` devices with `h` hours of generated history, once its read-back is done. */
export async function startService (o: ServiceOptions, n: number, h: number, rebuildAvailability = false): Promise<Service> {
  const { log, maxRecords: MAX_RECORDS } = o
  const work = join(tmpdir(), `mpm-bench-api-${n}x${h}h`)
  const csvDir = join(work, 'ping_results')
  mkdirSync(work, { recursive: true })
  const endMs = Date.now()
  log(`generating ${n} devices x ${h} h of history in ${csvDir} (cached between runs) ...`)
  const t0 = Date.now()
  const rows = generateHistory(csvDir, endMs, n, h, MAX_RECORDS)
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
  // started as the build's npm run start:prod starts it (its V8 flags), as bench.ts does
  const serverJs = join(o.root, 'dist/src/server.js')
  log(`starting the service: node ${[...startProdNodeFlags(serverJs), ...(o.execArgv ?? [])].join(' ')} ${serverJs}`)
  const svc = spawn(process.execPath, [...startProdNodeFlags(serverJs), ...(o.execArgv ?? []), serverJs], {
    env: { ...process.env, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), DB_CONNECTION: 'sqlite', SQLITE_FILE: join(work, 'inventaris.sqlite'), CSV_OUTPUT_DIR: csvDir, AVAILABILITY_FILE: store, CSV_RETENTION_DAYS: '0', HISTORY_HOURS: String(rebuildAvailability ? 1 : Math.max(1, h)), PING_INTERVAL: '5', PING_TIMEOUT: '3', MAX_CSV_RECORDS: String(MAX_RECORDS), LOG_LEVEL: 'info', ...o.env },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let rebuildMs = -1
  let progressLines = 0
  const availRebuild = { done: false, ms: -1, rows: 0 }
  svc.stdout.setEncoding('utf8').on('data', (d: string) => {
    for (const line of d.split('\n')) {
      if (line.includes('reading earlier results back')) progressLines++
      if (line.includes('"msg":"earlier results read back"')) rebuildMs = JSON.parse(line).duration_ms
      if (line.includes('"msg":"availability rollups rebuilt from CSV"')) {
        const m = JSON.parse(line)
        Object.assign(availRebuild, { done: true, ms: m.duration_ms, rows: m.rows })
      }
    }
  })
  const exited = new Promise((resolve) => svc.once('exit', resolve))
  const stop = async () => {
    svc.kill('SIGTERM')
    await exited
    if (!o.keep) rmSync(join(work, 'inventaris.sqlite'), { force: true })
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
  return { base, pid: svc.pid!, rows, rebuildMs, progressLines, availRebuild, stop }
}
