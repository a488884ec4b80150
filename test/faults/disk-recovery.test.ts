import t from 'tap'
import { join } from 'node:path'
import Papa from 'papaparse'
import { waitFor, NETNS_SKIP, type TestContext } from '../helper.js'
import { startOnTmpfs, type TmpfsService } from './tmpfs-service.js'

// Every durable writer retries on its own timer: the CSV directory is a 12 KiB tmpfs, full before the
// service starts, then given room while NO new rows reach the writer under test. Each writer must
// write what it holds, in order, exactly once, and health must turn healthy by itself.
t.setTimeout(180_000)
const DEVICES = 5
/** first retry after 1 s, doubling: remounting within ~3 s of the first failure leaves a retry due within ~4 s */
const RECOVERY_MS = 15_000
const SKIP = NETNS_SKIP !== false ? NETNS_SKIP : process.getuid?.() !== 0 ? 'mounting a tmpfs needs root (run through `npm test`)' : false
const EVENT_HEADER = 'at,device_id,ip_address,hostname,from,to,reason'

/** The service with its CSV directory on a full 12 KiB tmpfs; DEVICES loopback devices that always answer. */
const startOnFullDisk = async (t: TestContext): Promise<TmpfsService> => await startOnTmpfs(t, { devices: DEVICES, subnet: '4.1', size: '12k', full: true, pingInterval: '1' })

const eventReason = (h: any): string | undefined => h.reasons.find((r: string) => r.startsWith('writing state events failing'))

function readFile (s: TmpfsService, prefix: string, header: string): string[][] {
  const rows: string[][] = []
  for (const f of s.inNs('ls', s.out).split('\n').filter((n) => n.startsWith(prefix + '_')).sort()) {
    const text = s.inNs('cat', join(s.out, f))
    if (text === '') continue
    if (!text.endsWith('\n')) throw new Error(`${f}: a torn last line`)
    const parsed = Papa.parse<string[]>(text, { skipEmptyLines: true })
    if (parsed.errors.length > 0 || parsed.data[0].join(',') !== header) throw new Error(`${f}: not a well-formed CSV file`)
    rows.push(...parsed.data.slice(1))
  }
  return rows
}

t.test('state event log: full, then room while no device changes state: the events are written by the retry alone', { skip: SKIP }, async (t) => {
  const s = await startOnFullDisk(t)
  // every device goes unknown -> up once, and never changes again (loopback always answers)
  const full = await waitFor(async () => {
    const h = await s.api('/api/health')
    const m = /ENOSPC.*; (\d+) events waiting in memory/.exec(eventReason(h) ?? '')
    return m !== null && Number(m[1]) === DEVICES ? h : null
  }, 20_000, 'state events failing with every device\'s first change waiting')
  t.equal(full.status, 'degraded')
  t.match(eventReason(full), /^writing state events failing \(ENOSPC: cannot write state event files in .*\); 5 events waiting in memory$/)
  // unwritten events are served from memory: these are the rows the file must end up with
  const waiting = (await s.api('/api/ping/events?hours=1')).data.reverse()
  t.equal(waiting.length, DEVICES)
  t.same(readFile(s, 'state_events', EVENT_HEADER), [], 'nothing written while full')

  s.inNs('mount', '-o', 'remount,size=64m', s.out)
  const roomAt = Date.now()
  const healthy = await waitFor(async () => { const h = await s.api('/api/health'); return h.status === 'healthy' ? h : null }, RECOVERY_MS, 'healthy again with no new state change')
  t.pass(`healthy ${Date.now() - roomAt} ms after the disk had room`)
  t.same(healthy.reasons, [])
  t.ok(healthy.monitor.running, 'the monitor kept running (the result writer had new rows; the event log had none)')

  const after = (await s.api('/api/ping/events?hours=1')).data.reverse()
  t.same(after, waiting, 'no state change happened meanwhile')
  const rows = readFile(s, 'state_events', EVENT_HEADER)
  t.same(rows, waiting.map((e: any) => [e.at, String(e.device_id), e.ip_address, e.hostname, e.from, e.to, e.reason]), 'every event in the file exactly once, in order')
  s.child.kill('SIGTERM')
  t.equal(await s.exited, 0)
})

t.test('result writer: full, then room after the monitor stopped: the buffered results are written by the retry alone', { skip: SKIP }, async (t) => {
  const s = await startOnFullDisk(t)
  await waitFor(async () => (await s.api('/api/health')).csv.healthy === false, 20_000, 'CSV writing failing')
  // no new results from here on
  await s.api('/api/ping/service/stop', 'POST')
  const stopped = await waitFor(async () => { const h = await s.api('/api/health'); return h.monitor.running === false ? h : null }, 10_000, 'monitor stopped')
  const cycles: number = stopped.monitor.cycles
  t.ok(cycles > 0)
  t.match(stopped.csv, { healthy: false, last_error: /^ENOSPC: cannot write CSV files in /, pending_rows: cycles * DEVICES, rows_written: 0, dropped_rows: 0 })
  t.match(stopped.reasons.join(' '), new RegExp(`CSV writing failing since .*ENOSPC.*; ${cycles * DEVICES} results waiting in memory`))

  s.inNs('mount', '-o', 'remount,size=64m', s.out)
  const roomAt = Date.now()
  const healthy = await waitFor(async () => { const h = await s.api('/api/health'); return h.status === 'healthy' ? h : null }, RECOVERY_MS, 'healthy again with no new results')
  t.pass(`healthy ${Date.now() - roomAt} ms after the disk had room`)
  t.same(healthy.reasons, [])
  t.match(healthy.csv, { healthy: true, last_error: null, pending_rows: 0, rows_written: cycles * DEVICES, dropped_rows: 0 })
  t.equal(healthy.monitor.cycles, cycles, 'no cycle ran meanwhile')

  const rows = readFile(s, 'ping_results', 'timestamp,device_id,ip_address,hostname,ping_success,response_time_ms,error_message')
  t.equal(rows.length, cycles * DEVICES)
  const byDevice = new Map<string, number[]>()
  for (const r of rows) byDevice.set(r[1], [...(byDevice.get(r[1]) ?? []), Date.parse(r[0])])
  t.same([...byDevice.keys()].sort(), Array.from({ length: DEVICES }, (_, i) => String(i + 1)))
  for (const [id, times] of byDevice) {
    t.equal(times.length, cycles, `device ${id}: one row per cycle`)
    t.ok(times.every((x, i) => i === 0 || x > times[i - 1]), `device ${id}: in order, none twice`)
  }
  s.child.kill('SIGTERM')
  t.equal(await s.exited, 0)
})
