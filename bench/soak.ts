/**
 * `npm run soak`: the service for a long run at a short interval, to show that memory stays flat and
 * the event loop stays responsive. Prints RSS and heap at start, middle and end, the event-loop delay
 * p99, cycles and overruns. Runs inside a private network namespace (npm run soak makes it).
 *
 *   npm run soak -- --minutes 30 --devices 500 --interval 0.25
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    devices: { type: 'string', default: '500' },
    interval: { type: 'string', default: '0.25' },
    json: { type: 'boolean', default: false }
  }
})
const MINUTES = Number(args.minutes)
const N = Number(args.devices)
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const log = (m: string) => { if (!args.json) process.stderr.write(m + '\n') }

interface Sample { at_min: number, rss_mb: number, heap_used_mb: number, loop_p99_ms: number, cycles: number, overruns: number }

async function main (): Promise<void> {
  if (process.env.MPM_NETNS_READY !== '1') log('note: not inside the private network namespace; 127.66.0.0/16 devices will answer')
  const work = mkdtempSync(join(tmpdir(), 'mpm-soak-'))
  const db = new Database(join(work, 'inv.sqlite'))
  db.exec("CREATE TABLE inventaris (id INTEGER PRIMARY KEY, ip VARCHAR(255) NOT NULL, hostname VARCHAR(255), jenis_barang_id INTEGER NOT NULL, id_lokasi INTEGER NOT NULL, kondisi VARCHAR(50) NOT NULL DEFAULT 'baik')")
  const ins = db.prepare("INSERT INTO inventaris (id, ip, hostname, jenis_barang_id, id_lokasi, kondisi) VALUES (?, ?, ?, 1, 1, 'baik')")
  for (let id = 1; id <= N; id++) ins.run(id, id % 10 === 0 ? `127.66.${Math.floor(id / 250)}.${id % 250 + 1}` : `127.6.${Math.floor(id / 250)}.${id % 250 + 1}`, `soak-${id}`)
  db.close()
  const port = 25000 + Math.floor(Math.random() * 5000)
  const svc = spawn(process.execPath, [join(ROOT, 'dist/src/server.js')], {
    env: { ...process.env, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), DB_CONNECTION: 'sqlite', SQLITE_FILE: join(work, 'inv.sqlite'), CSV_OUTPUT_DIR: join(work, 'out'), PING_INTERVAL: String(args.interval), ALLOW_FAST_INTERVAL: 'true', PING_TIMEOUT: String(Math.min(0.4, Number(args.interval) * 0.5)), HISTORY_HOURS: '0.05', CSV_RETENTION_DAYS: '1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit']
  })
  const health = async () => await (await fetch(`http://127.0.0.1:${port}/api/health`)).json()
  const started = Date.now()
  const samples: Sample[] = []
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  // memory moves with every garbage collection: each point is the median of 5 readings over 8 s
  const sample = async () => {
    const readings = []
    for (let i = 0; i < 5; i++) {
      readings.push(await health())
      if (i < 4) await new Promise((resolve) => setTimeout(resolve, 2000))
    }
    const h = readings[4]
    const s = {
      at_min: Math.round((Date.now() - started) / 6000) / 10,
      rss_mb: median(readings.map((r) => r.process.rss_mb)),
      heap_used_mb: median(readings.map((r) => r.process.heap_used_mb)),
      loop_p99_ms: h.process.event_loop_delay_p99_ms,
      cycles: h.monitor.cycles,
      overruns: h.monitor.overruns
    }
    samples.push(s)
    log(`${s.at_min} min: RSS ${s.rss_mb} MB, heap ${s.heap_used_mb} MB, loop delay p99 (last minute) ${s.loop_p99_ms} ms, cycles ${s.cycles}, overruns ${s.overruns}`)
  }
  try {
    for (let i = 0; i < 200; i++) {
      try { if ((await health()).monitor.cycles > 0) break } catch {}
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    // "start" is taken after a warm-up in which the in-memory history fills up by design: with
    // HISTORY_HOURS=0.05 (3 minutes, plus 3 minutes kept beyond the window) that takes 6 minutes
    const total = MINUTES * 60_000
    const warm = Math.min(7 * 60_000, total / 4)
    await new Promise((resolve) => setTimeout(resolve, warm))
    await sample()
    const every = (total - warm) / 10
    for (let k = 1; k <= 10; k++) {
      await new Promise((resolve) => setTimeout(resolve, every))
      await sample()
    }
    const first = samples[0]
    const middle = samples[Math.floor(samples.length / 2)]
    const last = samples[samples.length - 1]
    const drift = (a: number, b: number) => Math.round(((b - a) / a) * 1000) / 10
    const result = {
      minutes: MINUTES,
      devices: N,
      interval_s: Number(args.interval),
      start: first,
      middle,
      end: last,
      rss_change_percent: drift(first.rss_mb, last.rss_mb),
      heap_change_percent: drift(first.heap_used_mb, last.heap_used_mb),
      // each sample's p99 is of the minute before it (see /api/health): their median and worst
      event_loop_delay_p99_ms: { median: median(samples.map((x) => x.loop_p99_ms)), max: Math.max(...samples.map((x) => x.loop_p99_ms)) },
      cycles: last.cycles,
      overruns: last.overruns,
      samples
    }
    if (args.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n')
    else {
      console.log(`\nsoak: ${N} devices, interval ${String(args.interval)} s, ${MINUTES} min, ${last.cycles} cycles, ${last.overruns} overruns`)
      console.log('(HISTORY_HOURS=0.05 so that the in-memory history is full before "start"; each figure is the median of 5 readings over 8 s)')
      console.log('| when | RSS MB | heap used MB |')
      console.log('| --- | ---: | ---: |')
      for (const [name, s] of [['start', first], ['middle', middle], ['end', last]] as const) console.log(`| ${name} (${s.at_min} min) | ${s.rss_mb} | ${s.heap_used_mb} |`)
      console.log(`RSS change start→end: ${result.rss_change_percent}%; heap change: ${result.heap_change_percent}%; event-loop delay p99 per minute: median ${result.event_loop_delay_p99_ms.median} ms, worst ${result.event_loop_delay_p99_ms.max} ms`)
    }
  } finally {
    svc.kill('SIGTERM')
    await new Promise((resolve) => svc.once('exit', resolve))
    rmSync(work, { recursive: true, force: true })
  }
}

main().catch((err) => {
  process.stderr.write(`soak failed: ${String(err?.stack ?? err)}\n`)
  process.exit(1)
})
