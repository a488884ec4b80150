// The service as bench.ts runs it (fping backend, loopback fleet with a dropped range, private network
// namespace; needs root), for memory diagnosis: its log and /proc samples every 500 ms into OUTFILE.
//   node bench/memory/run-service.mjs TREE DEVICES INTERVAL CYCLES OUTFILE [node flags...]
// TREE: a built checkout (dist/, dist-bench/). SNAP_AT=N sends SIGUSR2 after cycle N (with
// --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=DIR); DIAG_ENV={...} adds service settings, e.g.
// {"MPM_DIAG_FILE":"/tmp/m.jsonl"} with --import bench/memory/memory-sampler.mjs for V8 figures per thread.
// SMAPS_AT=N writes the resident memory by kind of mapping after each cycle from N on (SMAPS lines).
import { spawn, spawnSync, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, createWriteStream, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
const [tree, devices, interval, cycles, outFile, ...flags] = process.argv.slice(2)
if (process.env.MPM_DIAG_NETNS !== '1') {
  const r = spawnSync('unshare', ['--net', '--', process.execPath, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, MPM_DIAG_NETNS: '1' } })
  process.exit(r.status ?? 1)
}
execFileSync('ip', ['link', 'set', 'lo', 'up'])
execFileSync('nft', ['-f', '-'], { input: 'table inet mpm_bench {\n chain input {\n type filter hook input priority 0; policy accept;\n ip daddr 127.66.0.0/16 icmp type echo-request drop\n }\n}\n' })
const { makeFleet, writeInventory } = await import(join(tree, 'dist-bench/bench/fleet.js'))
const dir = mkdtempSync(join(tmpdir(), 'mpm-diag-'))
const fleet = makeFleet(Number(devices), 0.1)
writeInventory(join(dir, 'inventaris.sqlite'), fleet)
const out = createWriteStream(outFile)
const env = { PATH: process.env.PATH, NODE_ENV: 'production', DB_CONNECTION: 'sqlite', SQLITE_FILE: join(dir, 'inventaris.sqlite'), CSV_OUTPUT_DIR: join(dir, 'csv'), HOST: '127.0.0.1', PORT: process.env.DIAG_PORT ?? '0', PING_BACKEND: 'fping', PING_TIMEOUT: '3', PING_INTERVAL: interval, MAX_PING_WORKERS: '20', FPING_BATCH_SIZE: '50000', DEVICE_CHECK_INTERVAL: '86400', LOG_LEVEL: 'info', ...(process.env.DIAG_ENV ? JSON.parse(process.env.DIAG_ENV) : {}) }
const child = spawn(process.execPath, [...flags, join(tree, 'dist/src/server.js')], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
const t0 = Date.now()
// own CPU seconds (utime + stime, all threads) and those of the waited-for children (fping)
const cpu = () => { const st = readFileSync(`/proc/${child.pid}/stat`, 'utf8'); const f = st.slice(st.lastIndexOf(')') + 2).split(' '); return `cpu ${((Number(f[11]) + Number(f[12])) / 100).toFixed(2)} children ${((Number(f[13]) + Number(f[14])) / 100).toFixed(2)}` }
const status = () => { try { const s = readFileSync(`/proc/${child.pid}/status`, 'utf8'); const g = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0) / 1024; return `rss ${g('VmRSS').toFixed(0)} hwm ${g('VmHWM').toFixed(0)} anon ${g('RssAnon').toFixed(0)} threads ${g('Threads') * 1024} ${cpu()}` } catch { return 'gone' } }
// resident KB by kind of mapping (SMAPS_AT=N: after each cycle from N on): the brk heap, anonymous
// mappings by size (glibc's thread arenas reserve 64 MB each; V8's pages are 256 KB), files, stacks
const smaps = () => {
  const sums = new Map()
  let kind = ''
  for (const line of readFileSync(`/proc/${child.pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line)
    if (head !== null) {
      const kb = (parseInt(head[2], 16) - parseInt(head[1], 16)) / 1024
      const name = head[3]
      kind = name === '' ? `anon ${kb >= 65536 ? '>=64M' : kb >= 1024 ? Math.round(kb / 1024) + 'M' : Math.round(kb) + 'K'}` : name.startsWith('/') ? (name.includes('node_modules') ? 'addons' : name.endsWith('/node') ? 'node binary' : 'other files') : name
      continue
    }
    const rss = /^Rss:\s+(\d+)/.exec(line)
    if (rss !== null) sums.set(kind, (sums.get(kind) ?? 0) + Number(rss[1]))
  }
  return [...sums].filter(([, kb]) => kb >= 1024).sort((a, b) => b[1] - a[1]).map(([k, kb]) => `${k}=${(kb / 1024).toFixed(1)}`).join(' ')
}
const timer = setInterval(() => out.write(`@${((Date.now() - t0) / 1000).toFixed(1)} ${status()}\n`), 500)
child.stderr.on('data', (d) => out.write('ERR ' + d))
for await (const line of createInterface({ input: child.stdout })) {
  out.write(`@${((Date.now() - t0) / 1000).toFixed(1)} ${line}\n`)
  if (line.includes('"cycle done"')) {
    const c = JSON.parse(line).cycle
    out.write(`@${((Date.now() - t0) / 1000).toFixed(1)} CYCLE ${c} ${status()}\n`)
    if (process.env.SNAP_AT !== undefined && c === Number(process.env.SNAP_AT)) child.kill('SIGUSR2')
    if (process.env.SMAPS_AT !== undefined && c >= Number(process.env.SMAPS_AT)) out.write(`SMAPS ${c} ${smaps()}\n`)
    if (c >= Number(cycles)) { out.write(`FINAL ${status()}\n`); child.kill('SIGTERM') }
  }
}
clearInterval(timer)
out.end()
rmSync(dir, { recursive: true, force: true })
