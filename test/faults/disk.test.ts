import t from 'tap'
import { spawn, execFileSync } from 'node:child_process'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import Papa from 'papaparse'
import { SERVER_JS, tempDir, waitFor, NETNS_SKIP } from '../helper.js'

// The CSV directory is a tiny tmpfs in a private mount namespace of the service: it fills up, then
// becomes read-only. The service keeps pinging and serving, says degraded, keeps the unwritten
// results in memory and writes them, in order, once the disk works again.
t.setTimeout(300_000)
const DEVICES = 40

function inventory (file: string) {
  const db = new Database(file)
  db.exec("CREATE TABLE inventaris (id INTEGER PRIMARY KEY, ip VARCHAR(255) NOT NULL, hostname VARCHAR(255), jenis_barang_id INTEGER NOT NULL, id_lokasi INTEGER NOT NULL, kondisi VARCHAR(50) NOT NULL DEFAULT 'baik')")
  const ins = db.prepare("INSERT INTO inventaris (id, ip, hostname, jenis_barang_id, id_lokasi, kondisi) VALUES (?, ?, ?, 1, 1, 'baik')")
  for (let id = 1; id <= DEVICES; id++) ins.run(id, `127.4.0.${id}`, `dev-${id}`)
  db.close()
}

t.test('disk full, then read-only: nothing is lost while the memory buffer holds', { skip: NETNS_SKIP }, async (t) => {
  const work = tempDir(t)
  const out = join(work, 'out')
  inventory(join(work, 'inv.sqlite'))
  const port = 21000 + Math.floor(Math.random() * 9000)
  const script = `mkdir -p '${out}' && mount -t tmpfs -o size=48k tmpfs '${out}' && exec '${process.execPath}' '${SERVER_JS}'`
  const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'bash', '-c', script], {
    cwd: work,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DB_CONNECTION: 'sqlite', SQLITE_FILE: join(work, 'inv.sqlite'), CSV_OUTPUT_DIR: out, PING_INTERVAL: '0.5', PING_TIMEOUT: '0.5', MAX_CSV_RECORDS: '0', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit']
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(() => { child.kill('SIGKILL') })
  const inNs = (...cmd: string[]) => execFileSync('nsenter', ['-t', String(child.pid), '-m', '--', ...cmd], { encoding: 'utf8' })
  const api = async (path: string) => await (await fetch(`http://127.0.0.1:${port}${path}`)).json()
  await waitFor(async () => { try { return (await api('/api/health')).monitor.cycles > 0 } catch { return false } }, 30_000, 'service up')

  // 1. the disk fills up
  const full = await waitFor(async () => { const h = await api('/api/health'); return h.csv.healthy === false ? h : null }, 60_000, 'disk full noticed')
  t.equal(full.status, 'degraded')
  t.match(full.reasons.join(' '), /CSV writing failing .*ENOSPC/)
  // a failed write is undone, so a smaller later write may still fit: take the last bytes too, so
  // that the disk stays full until the test makes room
  try { inNs('sh', '-c', `cat /dev/zero > '${join(out, 'filler')}'`) } catch {}
  const cyclesAtFull = (await api('/api/health')).monitor.cycles
  await waitFor(async () => (await api('/api/health')).monitor.cycles >= cyclesAtFull + 6, 20_000, 'cycles go on while the disk is full')
  const during = await api('/api/health')
  t.ok(during.csv.pending_rows >= DEVICES * 5, `${during.csv.pending_rows} results waiting in memory`)
  t.equal((await api('/api/ping/status')).data.total_devices, DEVICES, 'still serving')

  // 2. room again, but the directory turns read-only
  inNs('mount', '-o', 'remount,size=16m,ro', out)
  await new Promise((resolve) => setTimeout(resolve, 2000))
  const ro = await api('/api/health')
  t.equal(ro.csv.healthy, false)
  t.match(ro.csv.last_error, /EROFS|EACCES|EPERM/)

  // 3. writable again: everything buffered is written, in order
  inNs('mount', '-o', 'remount,rw', out)
  await waitFor(async () => { const h = await api('/api/health'); return h.csv.healthy && h.csv.pending_rows === 0 }, 20_000, 'recovered')
  const healthy = await api('/api/health')
  t.equal(healthy.csv.dropped_rows, 0, 'nothing dropped')
  await fetch(`http://127.0.0.1:${port}/api/ping/service/stop`, { method: 'POST' })
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const files = inNs('ls', out).split('\n').filter((f) => f.startsWith('ping_results_'))
  const rows: string[][] = []
  for (const f of files) {
    const text = inNs('cat', join(out, f))
    t.ok(text.endsWith('\n'), `${f}: whole lines only`)
    const parsed = Papa.parse<string[]>(text, { skipEmptyLines: true })
    t.same(parsed.errors, [])
    rows.push(...parsed.data.slice(1))
  }
  const cycles = (await api('/api/health')).monitor.cycles
  const byDevice = new Map<string, number[]>()
  for (const r of rows) {
    const list = byDevice.get(r[1]) ?? []
    list.push(Date.parse(r[0]))
    byDevice.set(r[1], list)
  }
  t.equal(byDevice.size, DEVICES)
  for (const [id, times] of byDevice) {
    if (times.length !== cycles) t.fail(`device ${id}: ${times.length} rows for ${cycles} cycles`)
    if (times.some((x, i) => i > 0 && x < times[i - 1])) t.fail(`device ${id}: rows out of order`)
  }
  t.pass(`${rows.length} rows for ${cycles} cycles of ${DEVICES} devices, each exactly once and in order`)
  child.kill('SIGTERM')
  t.equal(await exited, 0)
})
