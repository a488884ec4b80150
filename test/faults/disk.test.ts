import t from 'tap'
import { join } from 'node:path'
import Papa from 'papaparse'
import { waitFor, NETNS_SKIP } from '../helper.js'
import { startOnTmpfs } from './tmpfs-service.js'

// The CSV directory is a tiny tmpfs in a private mount namespace of the service: it fills up, then
// becomes read-only. The service keeps pinging and serving, says degraded, keeps the unwritten
// results in memory and writes them, in order, once the disk works again.
t.setTimeout(300_000)
const DEVICES = 40

t.test('disk full, then read-only: nothing is lost while the memory buffer holds', { skip: NETNS_SKIP }, async (t) => {
  const { api, inNs, out, port, child, exited } = await startOnTmpfs(t, { devices: DEVICES, subnet: '4.0', size: '48k', pingInterval: '0.5' })

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

  // 2. room again, but the directory turns read-only. The kernel refuses a read-only remount ("mount
  // point is busy") while a file is open for writing: the writer's retry holds one for a few ms
  // (open, write, truncate back, close), so a refusal is tried again, and only that one. (CI's
  // refusals for the whole 5 s were the availability store that could not be made on the full disk
  // and kept its handles until GC: fixed in the store, test/availability/store-open.test.ts)
  await readOnlyRemount(() => inNs('mount', '-o', 'remount,size=16m,ro', out))
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

/** Runs the remount until the kernel stops calling the mount point busy (at most 5 s); any other failure is thrown at once. */
async function readOnlyRemount (remount: () => void): Promise<void> {
  const until = Date.now() + 5000
  for (;;) {
    try {
      remount()
      return
    } catch (err: any) {
      if (!/mount point is busy/.test(String(err?.stderr ?? '')) || Date.now() > until) throw err
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
}
