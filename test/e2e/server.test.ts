import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startProdNodeFlags } from '../../bench/service-command.js'
import { SERVER_JS, tempDir, waitFor } from '../helper.js'

// The real process entry, built, run as users run it: under the node flags of npm run start:prod.
const NODE_FLAGS = startProdNodeFlags(SERVER_JS)

function startServer (cwd: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [...NODE_FLAGS, SERVER_JS], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const out = { stdout: '', stderr: '', lines: [] as any[] }
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out.stdout += d
    for (const l of d.split('\n')) if (l.startsWith('{')) { try { out.lines.push(JSON.parse(l)) } catch {} }
  })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { out.stderr += d })
  const exited = new Promise<{ code: number | null, at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: Date.now() })))
  const port = async () => {
    const line = await waitFor(() => out.lines.find((l) => /Server listening at http:\/\/127\.0\.0\.1:/.test(l.msg)), 30_000, 'listening')
    return Number(/:(\d+)$/.exec(line.msg)![1])
  }
  return { child, out, exited, port }
}

t.test('a bad setting stops the process with one clear line', async (t) => {
  const cwd = tempDir(t)
  const s = startServer(cwd, { PING_INTERVAL: '0.2' })
  const { code } = await s.exited
  t.equal(code, 1)
  t.equal(s.out.stderr.trim().split('\n').filter((l) => !l.includes('ExperimentalWarning') && !l.includes('--trace-warnings')).join('\n'),
    'multi-ping-monitor: Invalid setting PING_INTERVAL="0.2": expected a number, >= 0.5, <= 3600')
})

t.test('no .env at all: embedded SQLite inventory with demo devices; SIGTERM exits 0 in bound', async (t) => {
  const cwd = tempDir(t)
  const s = startServer(cwd, { PING_INTERVAL: '1', PING_TIMEOUT: '1' })
  t.teardown(() => { s.child.kill('SIGKILL') })
  const port = await s.port()
  t.ok(existsSync(join(cwd, 'data/inventaris.sqlite')), 'inventory created')
  t.ok(s.out.lines.some((l) => /using the embedded inventory; set DB_CONNECTION=mysql/.test(l.msg)), 'log says how to switch')
  const v8 = s.out.lines.find((l) => l.msg === 'V8 settings (src/heap-settings.ts)')
  t.ok(NODE_FLAGS.length > 0, `started as start:prod starts it: node ${NODE_FLAGS.join(' ')}`)
  t.same(v8?.node_flags_missing, [], 'the start log line says no command-line flag is missing')
  t.ok(v8?.heap_flags.length > 0, 'and names the flags the service set itself')
  await waitFor(() => s.out.lines.find((l) => l.msg === 'cycle done' && l.devices === 5), 15_000, 'a cycle over the demo devices')
  // --expose-gc (start:prod): one full collection before the first cycle, one after it (src/heap-settings.ts)
  await waitFor(() => s.out.lines.filter((l) => l.msg === 'full garbage collection of the start-up').length === 2, 10_000, 'the start-up collections')
  const collections = s.out.lines.filter((l) => l.msg === 'full garbage collection of the start-up')
  t.same(collections.map((l) => l.when), ['before the first cycle', 'after the first cycle'])
  t.ok(collections.every((l) => typeof l.duration_ms === 'number' && l.rss_mb_after > 0), 'with their duration and RSS')
  const order = (pred: (l: any) => boolean) => s.out.lines.findIndex(pred)
  t.ok(order((l) => l.when === 'before the first cycle') < order((l) => l.msg === 'cycle done'), 'the first before any cycle ended')
  t.ok(order((l) => l.msg === 'cycle done') < order((l) => l.when === 'after the first cycle'), 'the second after one')
  const latest = await (await fetch(`http://127.0.0.1:${port}/api/ping/latest`)).json()
  t.equal(latest.count, 5)
  t.ok(latest.data.every((r: any) => r.ping_success === true), 'demo devices answer')
  // SIGTERM in the middle of the cycle schedule: clean exit within PING_INTERVAL + PING_TIMEOUT + 2 s
  const sent = Date.now()
  s.child.kill('SIGTERM')
  const { code, at } = await s.exited
  t.equal(code, 0)
  t.ok(at - sent < 4000, `exited in ${at - sent} ms`)
  const files = readdirSync(join(cwd, 'ping_results')).filter((f) => f.startsWith('ping_results_'))
  t.equal(files.length, 1)
  const text = readFileSync(join(cwd, 'ping_results', files[0]), 'utf8')
  t.ok(text.endsWith('\n'), 'no torn tail after shutdown')
})

t.test('.env is read, the environment wins; a missing ping program is reported, not fatal', async (t) => {
  const cwd = tempDir(t)
  writeFileSync(join(cwd, '.env'), 'PING_INTERVAL=1\nPING_BACKEND=ping\nPING_COMMAND=/nonexistent/ping\nCSV_OUTPUT_DIR=from-dotenv\nLOG_LEVEL=warn\n')
  const s = startServer(cwd, { LOG_LEVEL: 'info' })
  t.teardown(() => { s.child.kill('SIGKILL') })
  const port = await s.port()
  t.ok(s.out.lines.some((l) => l.msg === 'monitor started'), 'LOG_LEVEL from the environment won over .env')
  await waitFor(() => existsSync(join(cwd, 'from-dotenv')) && readdirSync(join(cwd, 'from-dotenv')).some((f) => f.startsWith('ping_results_')), 15_000, 'CSV in the .env directory')
  const health = await (await fetch(`http://127.0.0.1:${port}/api/health`)).json()
  t.equal(health.status, 'degraded')
  t.match(health.reasons, [/ping program unusable: Ping program not found: \/nonexistent\/ping/])
  const latest = await (await fetch(`http://127.0.0.1:${port}/api/ping/latest`)).json()
  t.ok(latest.count > 0)
  t.ok(latest.data.every((r: any) => r.ping_success === false && r.error_message === 'Ping program not found: /nonexistent/ping'))
  s.child.kill('SIGINT')
  t.equal((await s.exited).code, 0)
})
