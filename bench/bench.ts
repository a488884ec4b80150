/**
 * npm run bench [-- options]: the real service (inventory → scheduler → ping pool → CSV writer → status
 * cache), run as a child process inside a private network namespace on an embedded SQLite inventory of
 * loopback devices, measured from outside; and the same address list pinged by bare fping as the floor.
 * Prints figures; it is not a test. Needs root (unshare --net, nft).
 *
 * Dropped devices sit in 127.66.0.0/16, dropped by an nft rule on the INPUT hook: the echo request
 * leaves and is never answered, like a device that is off. (An output-hook drop, as the test runner
 * uses, makes sendmsg fail at once with EPERM instead: cheaper than a real dead device.)
 */
import { spawn, spawnSync, execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, release, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import Papa from 'papaparse'
import { buildFpingCommand, fpingPacingMs } from '../src/ping/fping-command.js'
import { FPING_DEFAULT_BATCH } from '../src/ping/ping-engine.js'
import { listCsvFiles } from '../src/storage/csv-files.js'
import { makeFleet, writeInventory, type FleetDevice } from './fleet.js'
import { cpuSeconds, peakRssMb, threadCpuSeconds, TreeRssSampler } from './proc-stats.js'
import { startProdNodeFlags } from './service-command.js'
import { benchSites, formatSitesBench } from './sites-bench.js'

type Kind = 'ping' | 'fping' | 'bare'

interface BenchConfig {
  kind: Kind
  devices: number
  down: number
  cycles: number
  timeoutS: number
  intervalS: number
  /** MAX_PING_WORKERS for the service */
  workers: number
  /** FPING_BATCH_SIZE for the service */
  batch: number
  /** write V8 CPU profiles of the service (every thread) here */
  profileDir?: string
  /** extra node flags for the service (experiments: --max-semi-space-size=..., --single-threaded-gc) */
  nodeFlags?: string[]
  /** the service's entry point: this build's dist/src/server.js unless --baseline names another build */
  server?: string
  /** --gc: run the service with --trace-gc and collect its GC pauses (GcPauses) */
  traceGc?: boolean
}

/**
 * The service's GC pauses from --trace-gc, from the end of cycle 1 to the end of the last (as the CPU):
 * the main thread's (the isolate that collects first: the main one starts and loads the service before
 * any worker exists) and the largest of the worker threads'. A pause is V8's own figure, the atomic
 * pause on the thread whose heap it is; an incremental mark-compact also runs steps on that thread
 * between pauses, counted apart (the largest step, and their sum in the per-cycle total). Wall time:
 * under load a pause is stretched by the time the thread waited for a core.
 */
interface GcPauses {
  main_max_pause_ms: number
  main_max_pause_kind: string
  main_max_step_ms: number
  /** pauses + incremental steps on the main thread, per cycle */
  main_ms_per_cycle: number
  main_scavenges_per_cycle: number
  main_mark_compacts_per_cycle: number
  workers_max_pause_ms: number
}

interface BenchResult {
  config: BenchConfig
  label: string
  devices: number
  down_devices: number
  cycles: number
  duration_median_s: number | null
  duration_max_s: number | null
  overruns: number
  misclassified: number
  cycles_with_misclassified: number
  cpu_s_per_cycle: number | null
  /** the service's CPU per cycle by thread (main, ping worker threads, other threads) and its child processes */
  cpu_split: Record<string, number> | null
  /** the same by thread name (V8's GC helpers, libuv's pool, the ping workers ...), threads of one name summed */
  cpu_threads: Record<string, number> | null
  peak_rss_mb: number | null
  peak_tree_rss_mb: number | null
  rows_written: number | null
  gc: GcPauses | null
  problems: string[]
}

// the production build (`npm run build`), not the copies of src/ modules that bench/tsconfig.json compiles beside this file
const SERVER = fileURLToPath(new URL('../../dist/src/server.js', import.meta.url))
const SELF = fileURLToPath(import.meta.url)
const NFT_RULES = `table inet mpm_bench {
  chain input {
    type filter hook input priority 0; policy accept;
    ip daddr 127.66.0.0/16 icmp type echo-request drop
  }
}
`

/** --variants: the same build under other node flags, side by side (name: flags) */
interface Variant { name: string, flags: string[] }

interface Args { configs: BenchConfig[], json: boolean, sitesOnly: boolean, baseline?: string, variants?: Variant[], rounds: number }

function parseArgs (argv: string[]): Args {
  const opts = new Map<string, string>()
  let json = false
  let sitesOnly = false
  let traceGc = false
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--json') { json = true; continue }
    if (a === '--gc') { traceGc = true; continue }
    if (a === '--sites') { sitesOnly = true; continue }
    if (a === '--help' || a === '-h') usage(0)
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(a)
    if (m === null) usage(1, `unknown argument ${a}`)
    const value = m[2] ?? argv[++i]
    if (value === undefined) usage(1, `${a} needs a value`)
    opts.set(m[1], value)
  }
  for (const k of opts.keys()) if (!['devices', 'down', 'cycles', 'timeout', 'interval', 'backend', 'workers', 'batch', 'profile', 'flags', 'baseline', 'variants', 'rounds'].includes(k)) usage(1, `unknown option --${k}`)
  const num = (k: string, d: number) => {
    const v = opts.get(k)
    if (v === undefined) return d
    const n = Number(v)
    if (!Number.isFinite(n) || n <= 0) usage(1, `--${k} must be a positive number`)
    return n
  }
  if (num('cycles', 10) < 2) usage(1, '--cycles must be at least 2 (the first one is not counted for CPU)')
  const base = { down: opts.has('down') ? Number(opts.get('down')) : 0.1, cycles: num('cycles', 10), timeoutS: num('timeout', 3), batch: num('batch', FPING_DEFAULT_BATCH), ...(opts.has('profile') ? { profileDir: opts.get('profile') } : {}), ...(opts.has('flags') ? { nodeFlags: (opts.get('flags') ?? '').split(' ').filter((f) => f !== '') } : {}), ...(traceGc ? { traceGc } : {}) }
  if (!(base.down >= 0 && base.down < 1)) usage(1, '--down is a share between 0 and 1')
  const ab = opts.has('baseline') ? { baseline: baselineServer(opts.get('baseline') ?? '') } : {}
  if (opts.has('baseline') && opts.has('variants')) usage(1, '--baseline and --variants do not go together')
  const variants = opts.has('variants') ? parseVariants(opts.get('variants') ?? '') : undefined
  const rounds = num('rounds', 3)
  if (!Number.isInteger(rounds)) usage(1, '--rounds takes a whole number')
  const custom = ['devices', 'backend', 'interval', 'workers'].some((k) => opts.has(k))
  if (opts.has('baseline') && !custom) usage(1, '--baseline needs --devices (and takes the fping backend)')
  if (variants !== undefined && !custom) usage(1, '--variants needs --devices (and takes the fping backend)')
  if (!custom) {
    // the default comparison
    const w = num('workers', 200)
    return {
      json,
      sitesOnly,
      rounds,
      configs: [
        { ...base, kind: 'ping', devices: 1000, intervalS: 5, workers: w },
        { ...base, kind: 'fping', devices: 1000, intervalS: 5, workers: 20 },
        { ...base, kind: 'bare', devices: 1000, intervalS: 5, workers: 20 },
        { ...base, kind: 'fping', devices: 10_000, intervalS: 5, workers: 20 },
        { ...base, kind: 'bare', devices: 10_000, intervalS: 5, workers: 20 },
        { ...base, kind: 'fping', devices: 50_000, intervalS: 10, workers: 20 },
        { ...base, kind: 'bare', devices: 50_000, intervalS: 10, workers: 20 }
      ]
    }
  }
  const kinds = (opts.get('backend') ?? 'fping,bare').split(',') as Kind[]
  for (const k of kinds) if (!['ping', 'fping', 'bare'].includes(k)) usage(1, `--backend takes ping, fping, bare (comma-separated), not ${k}`)
  const devices = (opts.get('devices') ?? '1000').split(',').map(Number)
  if (devices.some((n) => !Number.isInteger(n) || n < 1)) usage(1, '--devices takes whole numbers (comma-separated)')
  const configs: BenchConfig[] = []
  for (const n of devices) {
    for (const kind of kinds) configs.push({ ...base, kind, devices: n, intervalS: num('interval', 5), workers: num('workers', 20) })
  }
  if (ab.baseline !== undefined && !configs.some((c) => c.kind !== 'bare')) usage(1, '--baseline compares service builds: --backend must name fping or ping')
  if (variants !== undefined && !configs.some((c) => c.kind !== 'bare')) usage(1, '--variants compares service settings: --backend must name fping or ping')
  return { json, sitesOnly, configs, rounds, ...ab, ...(variants !== undefined ? { variants } : {}) }
}

/** "name:flags;name:flags", e.g. "default:;stgc:--single-threaded-gc;semi4:--max-semi-space-size=4" */
function parseVariants (spec: string): Variant[] {
  const out: Variant[] = []
  for (const part of spec.split(';').map((p) => p.trim()).filter((p) => p !== '')) {
    const colon = part.indexOf(':')
    if (colon < 1) usage(1, `--variants: "${part}" is not name:flags`)
    const name = part.slice(0, colon).trim()
    if (name === 'bare' || out.some((v) => v.name === name)) usage(1, `--variants: the name ${name} is taken`)
    out.push({ name, flags: part.slice(colon + 1).split(' ').filter((f) => f !== '') })
  }
  if (out.length < 1) usage(1, '--variants names no variant')
  return out
}

/** --baseline DIR: a build's root (holding dist/src/server.js), or that file itself */
function baselineServer (dir: string): string {
  const file = dir.endsWith('.js') ? dir : join(dir, 'dist', 'src', 'server.js')
  if (!existsSync(file)) usage(1, `--baseline: no ${file}`)
  return file
}

function usage (code: number, problem?: string): never {
  if (problem !== undefined) process.stderr.write(`bench: ${problem}\n`)
  process.stderr.write(`usage: npm run bench -- [--devices N[,N..]] [--backend ping,fping,bare] [--down 0.1] [--cycles 10]
                          [--timeout 3] [--interval 5] [--workers MAX_PING_WORKERS] [--batch FPING_BATCH_SIZE] [--json]
       npm run bench -- --sites      (only the site detection + groups figure; needs no root)
                          [--profile DIR (node --cpu-prof of the service's threads into DIR)] [--flags "NODE FLAGS" for the service]
                          [--baseline DIR [--rounds 3]]: before/after; DIR is another build (/work/baseline), run in
                          turns with this one and bare fping, --rounds times each; prints every run and the medians
                          [--variants "name:FLAGS;name:FLAGS" [--rounds 3]]: this build under each set of node flags
                          (in addition to --flags), in turns with bare fping, as --baseline does
                          [--gc]: run the service with --trace-gc; print its GC pauses (main thread, worker threads)
Without --devices/--backend/--interval/--workers: ping vs fping backend vs bare fping at 1,000 devices,
then fping backend and bare fping at 10,000 (interval 5) and 50,000 (interval 10). Every run ends with
the per-cycle main-thread cost of site detection + groups at 50,000 devices in 1,000 locations.
`)
  process.exit(code)
}

function median (xs: number[]): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

function label (c: BenchConfig): string {
  if (c.kind === 'ping') return `ping backend, MAX_PING_WORKERS=${c.workers}`
  const processes = Math.ceil(c.devices / (c.kind === 'bare' ? c.devices : c.batch))
  const per = Math.ceil(c.devices / processes)
  const pacing = fpingPacingMs(per, c.intervalS * 1000, c.timeoutS * 1000)
  return c.kind === 'bare' ? `bare fping, 1 process, -i ${pacing}` : `fping backend, ${processes} process${processes > 1 ? 'es' : ''} x ${per}, -i ${pacing}`
}

function emptyResult (c: BenchConfig, fleet: FleetDevice[]): BenchResult {
  return {
    config: c,
    label: label(c),
    devices: fleet.length,
    down_devices: fleet.filter((d) => d.dropped).length,
    cycles: 0,
    duration_median_s: null,
    duration_max_s: null,
    overruns: 0,
    misclassified: 0,
    cycles_with_misclassified: 0,
    cpu_s_per_cycle: null,
    cpu_split: null,
    cpu_threads: null,
    peak_rss_mb: null,
    peak_tree_rss_mb: null,
    rows_written: null,
    gc: null,
    problems: []
  }
}

/**
 * The service for `cycles` cycles. CPU is counted from the end of cycle 1 (start-up and the first
 * cycle's warm-up left out) to the end of the last, for the service and every child it waited for.
 */
async function runService (c: BenchConfig, fleet: FleetDevice[]): Promise<BenchResult> {
  const r = emptyResult(c, fleet)
  const dir = mkdtempSync(join(tmpdir(), 'mpm-bench-'))
  try {
    writeInventory(join(dir, 'inventaris.sqlite'), fleet)
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      NODE_ENV: 'production',
      DB_CONNECTION: 'sqlite',
      SQLITE_FILE: join(dir, 'inventaris.sqlite'),
      CSV_OUTPUT_DIR: join(dir, 'csv'),
      HOST: '127.0.0.1',
      PORT: '0',
      PING_BACKEND: c.kind,
      PING_TIMEOUT: String(c.timeoutS),
      PING_INTERVAL: String(c.intervalS),
      MAX_PING_WORKERS: String(c.workers),
      FPING_BATCH_SIZE: String(c.batch),
      DEVICE_CHECK_INTERVAL: '86400',
      LOG_LEVEL: 'info'
    }
    // cwd: the temporary directory, so that no developer .env is read
    const prof = c.profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', c.profileDir]
    const gcFlag = c.traceGc === true ? ['--trace-gc'] : []
    // each build as its npm run start:prod starts it; --flags and --variants come after, so they can undo one
    const server = c.server ?? SERVER
    const child = spawn(process.execPath, [...startProdNodeFlags(server), ...(c.nodeFlags ?? []), ...gcFlag, ...prof, server], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const gc = new GcTrace()
    const pid = child.pid ?? 0
    const sampler = new TreeRssSampler(pid)
    const durations: number[] = []
    let cpuStart: number | null = null
    let threadsStart: Map<string, number> | null = null
    let childrenStart = 0
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < 4000) stderr += d })
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    const lastCycle = c.cycles
    const stop = () => {
      sampler.sample()
      r.peak_rss_mb = peakRssMb(pid)
      child.kill('SIGTERM')
      setTimeout(() => child.kill('SIGKILL'), (c.intervalS + c.timeoutS + 10) * 1000).unref()
    }
    // an overloaded configuration is stopped after 8 intervals per cycle; its completed cycles count
    const limitS = lastCycle * Math.max(c.intervalS, c.timeoutS + 1) * 8 + 60
    const hardLimit = setTimeout(() => {
      r.problems.push(`stopped after ${limitS} s with ${durations.length} of ${lastCycle} cycles done`)
      stop()
    }, limitS * 1000)
    for await (const line of createInterface({ input: child.stdout })) {
      let log: any
      try { log = JSON.parse(line) } catch {
        if (c.traceGc === true) gc.line(line)
        continue
      }
      if (log.msg === 'cycle done' && log.cycle <= lastCycle) {
        if (log.cycle === 1) gc.start()
        else if (c.traceGc === true) r.gc = gc.result(log.cycle - 1)
        durations.push(log.duration_ms / 1000)
        const cpu = cpuSeconds(pid)
        const total = cpu.own + cpu.children
        const threads = threadCpuSeconds(pid)
        if (log.cycle === 1) {
          cpuStart = total
          threadsStart = threads
          childrenStart = cpu.children
        } else if (cpuStart !== null && threadsStart !== null) {
          const n = log.cycle - 1
          r.cpu_s_per_cycle = (total - cpuStart) / n
          // ping worker threads name themselves mpm-ping (workers/ping-worker.ts); the rest: libuv's
          // pool (zlib, fs), V8's GC helpers, the history reader
          const split: Record<string, number> = { main: 0, 'ping threads': 0, 'other threads': 0 }
          const byName: Record<string, number> = {}
          for (const [name, s] of threads) {
            const key = name === 'main' ? 'main' : name === 'mpm-ping' ? 'ping threads' : 'other threads'
            const d = (s - (threadsStart.get(name) ?? 0)) / n
            split[key] += d
            byName[name] = d
          }
          r.cpu_threads = byName
          split['child processes'] = (cpu.children - childrenStart) / n
          r.cpu_split = split
        }
        if (log.cycle === lastCycle) stop()
      } else if (/overran/.test(String(log.msg)) && log.cycle <= lastCycle) {
        r.overruns++
      } else if (log.level >= 50 && r.problems.length < 5) {
        r.problems.push(String(log.msg))
      } else if (log.msg === 'ping backend chosen' && log.backend !== c.kind) {
        r.problems.push(`the service chose the ${String(log.backend)} backend`)
      }
    }
    const code = await exited
    clearTimeout(hardLimit)
    sampler.stop()
    if (code !== 0) r.problems.push(`service exit ${String(code)}: ${stderr.trim().split('\n')[0] ?? ''}`)
    r.cycles = durations.length
    r.duration_median_s = median(durations)
    r.duration_max_s = durations.length === 0 ? null : Math.max(...durations)
    r.peak_tree_rss_mb = sampler.peakMb
    await checkRows(join(dir, 'csv'), fleet, r)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return r
}

const GC_LINE = /^\[\d+:(0x[0-9a-f]+)\]\s+[\d.]+ ms: (\D+?) [\d.]+ \([\d.]+\) -> [\d.]+ \([\d.]+\) MB, ([\d.]+) \/ [\d.]+ ms(?:\s+\(\+ ([\d.]+) ms in \d+ steps since start of marking, biggest step ([\d.]+) ms)?/

/** --trace-gc lines of the service, counted from start() on (see GcPauses) */
class GcTrace {
  private mainIsolate: string | null = null
  private counting = false
  private readonly acc = { maxPause: 0, maxKind: '-', maxStep: 0, ms: 0, scavenges: 0, markCompacts: 0, workersMax: 0 }

  line (text: string): void {
    const m = GC_LINE.exec(text)
    if (m === null) return
    const [, isolate, kind, pause, steps, biggest] = m
    this.mainIsolate ??= isolate
    if (!this.counting) return
    const a = this.acc
    if (isolate !== this.mainIsolate) {
      a.workersMax = Math.max(a.workersMax, Number(pause))
      return
    }
    if (Number(pause) > a.maxPause) { a.maxPause = Number(pause); a.maxKind = kind.trim() }
    a.maxStep = Math.max(a.maxStep, Number(biggest ?? 0))
    a.ms += Number(pause) + Number(steps ?? 0)
    if (/Scavenge/.test(kind)) a.scavenges++
    else if (/Mark-Compact/.test(kind) && !/Minor/.test(kind)) a.markCompacts++
  }

  start (): void {
    this.counting = true
  }

  result (cycles: number): GcPauses {
    const a = this.acc
    return { main_max_pause_ms: a.maxPause, main_max_pause_kind: a.maxKind, main_max_step_ms: a.maxStep, main_ms_per_cycle: a.ms / cycles, main_scavenges_per_cycle: a.scavenges / cycles, main_mark_compacts_per_cycle: a.markCompacts / cycles, workers_max_pause_ms: a.workersMax }
  }
}

/**
 * Every cycle wrote one row per device, in device order: rows [k·N, (k+1)·N) are cycle k. Each
 * cycle is checked on its own: every reachable device up, every dropped device down.
 */
async function checkRows (csvDir: string, fleet: FleetDevice[], r: BenchResult): Promise<void> {
  const dropped = new Map(fleet.map((d) => [d.id, d.dropped]))
  let rows = 0
  let cycleSeen = new Set<number>()
  let cycleWrong = 0
  const closeCycle = () => {
    if (cycleSeen.size !== fleet.length) r.problems.push(`a cycle had ${cycleSeen.size} distinct devices in its ${fleet.length} rows`)
    r.misclassified += cycleWrong
    if (cycleWrong > 0) r.cycles_with_misclassified++
    cycleSeen = new Set()
    cycleWrong = 0
  }
  for (const f of await listCsvFiles(csvDir)) {
    const parsed = Papa.parse<string[]>(readFileSync(f.path, 'utf8'), { skipEmptyLines: true })
    for (const rec of parsed.data.slice(1)) {
      const id = Number(rec[1])
      const up = rec[4] === 'true'
      cycleSeen.add(id)
      if (up === dropped.get(id)) cycleWrong++
      rows++
      if (rows % fleet.length === 0) closeCycle()
    }
  }
  if (rows % fleet.length !== 0) r.problems.push(`${rows % fleet.length} rows of an incomplete cycle`)
  r.rows_written = rows
}

/** Bare fping over the same list, back to back, with the options the backend would use. */
async function runBare (c: BenchConfig, fleet: FleetDevice[]): Promise<BenchResult> {
  const r = emptyResult(c, fleet)
  const pacing = fpingPacingMs(fleet.length, c.intervalS * 1000, c.timeoutS * 1000)
  const cmd = buildFpingCommand('fping', c.timeoutS * 1000, pacing)
  const input = fleet.map((d) => d.ip).join('\n') + '\n'
  const durations: number[] = []
  let cpu = 0
  let rss = 0
  for (let k = 0; k < c.cycles; k++) {
    const before = cpuSeconds('self').children
    const started = performance.now()
    const alive = new Set<string>()
    const child = spawn(cmd.file, cmd.args, { stdio: ['pipe', 'pipe', 'ignore'] })
    const sampler = setInterval(() => { rss = Math.max(rss, peakRssMb(child.pid ?? 0)) }, 50)
    child.stdin.end(input)
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()))
    for await (const line of createInterface({ input: child.stdout })) {
      const m = /^(\S+) is alive/.exec(line)
      if (m !== null) alive.add(m[1])
    }
    await exited
    clearInterval(sampler)
    const seconds = (performance.now() - started) / 1000
    durations.push(seconds)
    if (seconds > c.intervalS) r.overruns++
    cpu += cpuSeconds('self').children - before
    const wrong = fleet.filter((d) => alive.has(d.ip) === d.dropped).length
    r.misclassified += wrong
    if (wrong > 0) r.cycles_with_misclassified++
  }
  r.cycles = durations.length
  r.duration_median_s = median(durations)
  r.duration_max_s = Math.max(...durations)
  r.cpu_s_per_cycle = cpu / c.cycles
  r.peak_rss_mb = rss
  r.peak_tree_rss_mb = rss
  return r
}

/** 'bare', or a service side: 'before'/'after' (--baseline) or a variant's name (--variants) */
type Side = string
interface AbRun { round: number, side: Side, load: [number, number], result: BenchResult }
interface AbSummary { devices: number, runs: AbRun[], medians: Record<string, number | null> }
interface AbRunSet { header: string, sides: Side[], rounds: number, summaries: AbSummary[] }

/**
 * Before/after in one run: the baseline build, this build and bare fping in turns, `rounds` times,
 * the order rotated each round so that none of them always runs first or after the same neighbour.
 * The ratio is taken per round (each service build against the bare fping of its round) and then
 * the median of those: bare fping's own CPU swings with the machine's load, and a ratio against a
 * bare figure from another moment mixes that swing into it.
 */
async function runAlternated (configs: BenchConfig[], rounds: number, services: (service: BenchConfig) => Array<[Side, BenchConfig]>, header: string): Promise<AbRunSet> {
  const summaries: AbSummary[] = []
  let serviceSides: Side[] = []
  for (const n of [...new Set(configs.map((c) => c.devices))]) {
    const service = configs.find((c) => c.devices === n && c.kind !== 'bare')
    if (service === undefined) continue
    const bare: BenchConfig = { ...service, kind: 'bare' }
    const sides: Array<[Side, BenchConfig]> = [['bare', bare], ...services(service)]
    serviceSides = sides.slice(1).map(([side]) => side)
    const fleet = makeFleet(n, service.down)
    const runs: AbRun[] = []
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < sides.length; k++) {
        const [side, c] = sides[(k + round) % sides.length]
        process.stderr.write(`bench: round ${round + 1}/${rounds}, ${side}: ${label(c)}, ${n} devices, ${c.cycles} cycles ...\n`)
        const load0 = loadavg()[0]
        const r = c.kind === 'bare' ? await runBare(c, fleet) : await runService(c, fleet)
        for (const p of r.problems) process.stderr.write(`bench:   problem: ${p}\n`)
        runs.push({ round, side, load: [load0, loadavg()[0]], result: r })
      }
    }
    const of = (side: Side, pick: (r: BenchResult) => number | null | undefined) => median(runs.filter((x) => x.side === side).map((x) => pick(x.result)).filter((v): v is number => typeof v === 'number'))
    const ratio = (side: Side) => median([...Array(rounds).keys()].map((round) => {
      const cpu = (s: Side) => runs.find((x) => x.round === round && x.side === s)?.result.cpu_s_per_cycle ?? null
      const a = cpu(side)
      const b = cpu('bare')
      return a === null || b === null || b === 0 ? null : a / b
    }).filter((v): v is number => v !== null))
    const medians: Record<string, number | null> = { 'bare CPU s': of('bare', (r) => r.cpu_s_per_cycle) }
    for (const side of serviceSides) {
      medians[`${side} CPU s`] = of(side, (r) => r.cpu_s_per_cycle)
      medians[`${side} ratio`] = ratio(side)
      for (const k of ['main', 'ping threads', 'other threads', 'child processes']) medians[`${side} ${k}`] = of(side, (r) => r.cpu_split?.[k])
      medians[`${side} cycle max s`] = of(side, (r) => r.duration_max_s)
      medians[`${side} peak RSS MB`] = of(side, (r) => r.peak_rss_mb)
      if (runs.some((x) => x.result.gc !== null)) {
        medians[`${side} main GC max pause ms`] = of(side, (r) => r.gc?.main_max_pause_ms)
        medians[`${side} main GC ms/cycle`] = of(side, (r) => r.gc?.main_ms_per_cycle)
      }
    }
    summaries.push({ devices: n, runs, medians })
  }
  return { header, sides: serviceSides, rounds, summaries }
}

function formatAlternated (ab: AbRunSet): string {
  const out = [`${ab.header}; ${ab.rounds} rounds, order rotated each round; load: 1-minute average at the start and end of each run`]
  for (const s of ab.summaries) {
    const gc = s.runs.some((x) => x.result.gc !== null)
    out.push('', `${s.devices} devices:`, '| round | side | load | CPU s/cycle | main | ping threads | other threads | child processes | cycle max s | overruns | misclassified | peak RSS MB |' + (gc ? ' main GC max pause ms (kind) | max incr. step ms | main GC ms/cycle | scavenges/cycle | mark-compacts/cycle | workers max pause ms |' : ''), '|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|' + (gc ? '---:|---:|---:|---:|---:|---:|' : ''))
    for (const x of s.runs) {
      const r = x.result
      const split = (k: string) => fmt(r.cpu_split?.[k] ?? null, 3)
      const g = r.gc
      const gcCells = !gc ? '' : g === null ? ' - | - | - | - | - | - |' : ` ${g.main_max_pause_ms.toFixed(1)} (${g.main_max_pause_kind}) | ${g.main_max_step_ms.toFixed(1)} | ${g.main_ms_per_cycle.toFixed(1)} | ${g.main_scavenges_per_cycle.toFixed(1)} | ${g.main_mark_compacts_per_cycle.toFixed(2)} | ${g.workers_max_pause_ms.toFixed(1)} |`
      out.push(`| ${x.round + 1} | ${x.side} | ${x.load[0].toFixed(1)}–${x.load[1].toFixed(1)} | ${fmt(r.cpu_s_per_cycle, 3)} | ${split('main')} | ${split('ping threads')} | ${split('other threads')} | ${x.side === 'bare' ? fmt(r.cpu_s_per_cycle, 3) : split('child processes')} | ${fmt(r.duration_max_s)} | ${r.overruns} | ${r.misclassified} (${r.cycles_with_misclassified} cycles) | ${fmt(r.peak_rss_mb, 0)} |${gcCells}`)
    }
    for (const side of ab.sides) {
      const names = new Set(s.runs.flatMap((x) => x.side === side ? Object.keys(x.result.cpu_threads ?? {}) : []))
      const per = [...names].map((name) => [name, median(s.runs.filter((x) => x.side === side).map((x) => x.result.cpu_threads?.[name] ?? 0)) ?? 0] as const)
      out.push(`${side}, CPU s per cycle by thread name (medians): ` + per.filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', '))
    }
    out.push('medians: ' + Object.entries(s.medians).map(([k, v]) => `${k} ${v === null ? '-' : v.toFixed(/ratio/.test(k) ? 2 : 3)}`).join(', '))
  }
  return out.join('\n')
}

function fmt (v: number | null, digits = 2): string {
  return v === null ? '-' : v.toFixed(digits)
}

function table (results: BenchResult[]): string {
  const head = ['configuration', 'devices', 'down', 'timeout/interval s', 'cycles', 'cycle median s', 'cycle max s', 'overruns', 'misclassified', 'CPU s/cycle', 'peak RSS MB', 'tree RSS MB', 'rows written']
  const body = results.map((r) => [
    r.label,
    String(r.devices),
    `${r.down_devices} (${Math.round(r.down_devices / r.devices * 100)}%)`,
    `${r.config.timeoutS}/${r.config.intervalS}`,
    String(r.cycles),
    fmt(r.duration_median_s),
    fmt(r.duration_max_s),
    String(r.overruns),
    `${r.misclassified} (${r.cycles_with_misclassified} cycles)`,
    fmt(r.cpu_s_per_cycle),
    fmt(r.peak_rss_mb, 0),
    fmt(r.peak_tree_rss_mb, 0),
    r.rows_written === null ? '-' : String(r.rows_written)
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)))
  const line = (cells: string[]) => '| ' + cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join(' | ') + ' |'
  const rule = '|' + widths.map((w, i) => '-'.repeat(w + 1) + (i === 0 ? '-' : ':')).join('|') + '|'
  return [line(head), rule, ...body.map(line)].join('\n')
}

async function main (): Promise<void> {
  const { configs, json, sitesOnly, baseline, variants, rounds } = parseArgs(process.argv.slice(2))
  if (sitesOnly) {
    const r = benchSites()
    process.stdout.write(json ? JSON.stringify({ sites: r }, null, 2) + '\n' : formatSitesBench(r) + '\n')
    return
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench: needs root: it creates a private network namespace (unshare --net) with an nft rule; run it with sudo\n')
    process.exit(2)
  }
  if (process.env.MPM_BENCH_NETNS !== '1') {
    const r = spawnSync('unshare', ['--net', '--', process.execPath, SELF, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, MPM_BENCH_NETNS: '1' } })
    if (r.error !== undefined) process.stderr.write(`bench: cannot run unshare: ${r.error.message}\n`)
    process.exit(r.status ?? 1)
  }
  execFileSync('ip', ['link', 'set', 'lo', 'up'])
  execFileSync('nft', ['-f', '-'], { input: NFT_RULES })
  const fpingVersion = spawnSync('fping', ['-v'], { encoding: 'utf8' }).stdout.trim()
  const flagsOf = (server: string) => startProdNodeFlags(server).join(' ') || '(none)'
  const about = `node ${process.version}, ${availableParallelism()} CPUs, Linux ${release()}, ${fpingVersion || 'fping not found'}; ` +
    `the service started as its npm run start:prod does, node flags ${flagsOf(SERVER)}${baseline !== undefined ? ` (the baseline: ${flagsOf(baseline)})` : ''}`
  process.stderr.write(`bench: ${about}\n`)
  if (baseline !== undefined) {
    const ab = await runAlternated(configs, rounds, (service) => [['before', { ...service, server: baseline }], ['after', service]], `before: ${baseline}; after: ${SERVER}`)
    process.stdout.write(json ? JSON.stringify({ about, baseline, ...ab }, null, 2) + '\n' : `${about}\n${formatAlternated(ab)}\n`)
    return
  }
  if (variants !== undefined) {
    const common = configs.find((c) => c.kind !== 'bare')?.nodeFlags ?? []
    const header = `${SERVER} under node flags: ` + variants.map((v) => `${v.name} = ${[...common, ...v.flags].join(' ') || '(none)'}`).join('; ')
    const ab = await runAlternated(configs, rounds, (service) => variants.map((v) => [v.name, { ...service, nodeFlags: [...(service.nodeFlags ?? []), ...v.flags] }]), header)
    process.stdout.write(json ? JSON.stringify({ about, variants, ...ab }, null, 2) + '\n' : `${about}\n${formatAlternated(ab)}\n`)
    return
  }
  const results: BenchResult[] = []
  for (const c of configs) {
    const fleet = makeFleet(c.devices, c.down)
    process.stderr.write(`bench: ${label(c)}, ${c.devices} devices, ${c.cycles} cycles ...\n`)
    const r = c.kind === 'bare' ? await runBare(c, fleet) : await runService(c, fleet)
    for (const p of r.problems) process.stderr.write(`bench:   problem: ${p}\n`)
    results.push(r)
  }
  // in-process, on synthetic states: the main-thread cost that src/sites/ adds to every cycle
  const sites = benchSites()
  if (json) {
    process.stdout.write(JSON.stringify({ about, results, sites }, null, 2) + '\n')
    return
  }
  process.stdout.write(`${about}\n` +
    'cycle: the service\'s own cycle duration (ping start to last result); CPU: service + children per cycle, from the end of cycle 1 on\n' +
    '(bare fping: every run); peak RSS: the service process (VmHWM); tree RSS: service + children, sampled every 100 ms;\n' +
    'misclassified: reachable devices reported down plus dropped devices reported up, checked per cycle in the CSV rows.\n\n' +
    table(results) + '\n' + formatSitesBench(sites) + '\n')
  const split = results.filter((r) => r.cpu_split !== null)
  if (split.length > 0) {
    process.stdout.write('\nservice CPU s per cycle by thread (bare fping: its own process):\n' +
      split.map((r) => `  ${r.label}, ${r.devices} devices: ${Object.entries(r.cpu_split ?? {}).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}`).join('\n') + '\n')
  }
}

main().catch((err) => {
  process.stderr.write(`bench: ${String(err?.stack ?? err)}\n`)
  process.exit(1)
})
