import t from 'tap'
import { spawn } from 'node:child_process'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import Papa from 'papaparse'
import { SERVER_JS, tempDir, NETNS_SKIP } from '../helper.js'

// SIGKILL at random moments of cycles under load, then restart: every CSV file parses, no torn or
// duplicated row, and every row acknowledged as written before a kill is still there.
const DEVICES = 300
const MIN_KILLS = Number(process.env.MPM_KILLS ?? 5)
const MIN_CYCLES = 50
t.setTimeout(600_000)

function inventory (file: string) {
  const db = new Database(file)
  db.exec("CREATE TABLE inventaris (id INTEGER PRIMARY KEY, ip VARCHAR(255) NOT NULL, hostname VARCHAR(255), jenis_barang_id INTEGER NOT NULL, id_lokasi INTEGER NOT NULL, kondisi VARCHAR(50) NOT NULL DEFAULT 'baik')")
  const ins = db.prepare("INSERT INTO inventaris (id, ip, hostname, jenis_barang_id, id_lokasi, kondisi) VALUES (?, ?, ?, 1, 1, 'baik')")
  // one device in ten does not answer (dropped inside the test namespace)
  for (let id = 1; id <= DEVICES; id++) ins.run(id, id % 10 === 0 ? `127.66.1.${id % 250}` : `127.3.${Math.floor(id / 250)}.${id % 250 + 1}`, `dev-${id}`)
  db.close()
}

interface Ack { file: string, size: number }

async function runUntilKilled (cwd: string, env: Record<string, string>, killAfterMs: number | null): Promise<{ acks: Ack[], cycles: number }> {
  const child = spawn(process.execPath, [SERVER_JS], { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  const acks: Ack[] = []
  let cycles = 0
  let buf = ''
  let firstCycle: () => void = () => {}
  const cycled = new Promise<void>((resolve) => { firstCycle = resolve })
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d
    let nl
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      if (!line.startsWith('{')) continue
      const l = JSON.parse(line)
      if (l.msg === 'CSV rows written') acks.push({ file: l.file, size: l.size })
      if (l.msg === 'cycle done') { cycles++; firstCycle() }
    }
  })
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  await Promise.race([cycled, exited])
  if (killAfterMs === null) {
    await new Promise((resolve) => setTimeout(resolve, 1500))
    child.kill('SIGTERM')
  } else {
    await new Promise((resolve) => setTimeout(resolve, killAfterMs))
    child.kill('SIGKILL')
  }
  await exited
  return { acks, cycles }
}

t.test('SIGKILL at random moments loses no acknowledged row and leaves every file valid', { skip: NETNS_SKIP, timeout: 900_000 }, async (t) => {
  const cwd = tempDir(t)
  inventory(join(cwd, 'inv.sqlite'))
  const env = { DB_CONNECTION: 'sqlite', SQLITE_FILE: join(cwd, 'inv.sqlite'), CSV_OUTPUT_DIR: join(cwd, 'out'), PING_INTERVAL: '0.5', PING_TIMEOUT: '0.4', MAX_CSV_RECORDS: '700', LOG_LEVEL: 'debug', PORT: '0', HOST: '127.0.0.1' }
  const acked = new Map<string, number>()
  let cycles = 0
  let kills = 0
  while ((kills < MIN_KILLS || cycles < MIN_CYCLES) && kills < 40) {
    kills++
    const r = await runUntilKilled(cwd, env, 200 + Math.floor(Math.random() * 6000))
    cycles += r.cycles
    for (const a of r.acks) acked.set(a.file, Math.max(acked.get(a.file) ?? 0, a.size))
  }
  const last = await runUntilKilled(cwd, env, null)
  cycles += last.cycles
  t.ok(cycles >= MIN_CYCLES, `${cycles} cycles over ${kills} kills`)
  t.ok(acked.size > 0, 'writes were acknowledged (the check below is not vacuous)')
  const out = join(cwd, 'out')
  const seen = new Set<string>()
  let rows = 0
  for (const f of readdirSync(out).filter((n) => n.startsWith('ping_results_'))) {
    const text = readFileSync(join(out, f), 'utf8')
    t.ok(text.endsWith('\n'), `${f} ends with a whole line`)
    t.ok(statSync(join(out, f)).size >= (acked.get(f) ?? 0), `${f} holds every acknowledged byte`)
    const parsed = Papa.parse<string[]>(text, { skipEmptyLines: true })
    t.same(parsed.errors, [], `${f} parses`)
    t.equal(parsed.data[0].join(','), 'timestamp,device_id,ip_address,hostname,ping_success,response_time_ms,error_message')
    for (const rec of parsed.data.slice(1)) {
      rows++
      if (rec.length !== 7 || !/^\d{4}-\d\d-\d\dT/.test(rec[0]) || (rec[4] !== 'true' && rec[4] !== 'false')) t.fail(`bad row in ${f}: ${rec.join(',')}`)
      const key = `${rec[1]}|${rec[0]}`
      if (seen.has(key)) t.fail(`duplicated row ${key}`)
      seen.add(key)
    }
  }
  t.ok(rows >= DEVICES * 10, `${rows} rows checked`)
  t.comment(`kills: ${kills}, cycles: ${cycles}, rows checked: ${rows}, acknowledged files: ${acked.size}`)
})
