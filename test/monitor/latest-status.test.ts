import t from 'tap'
import { LatestStatus } from '../../src/monitor/latest-status.js'
import type { Device } from '../../src/inventory/filter-inventory.js'
import type { ResultRow } from '../../src/storage/result-row.js'
import { cycleOfRows } from '../../src/monitor/cycle.js'
import { formatLocalIso } from '../../src/lib/local-time.js'

const device = (id: number): Device => ({ device_id: id, ip_address: `127.0.0.${id}`, hostname: `h${id}`, family: 4, location: { id: null, name: 'Tanpa lokasi' }, type: { id: null, name: 'Tanpa jenis' }, rack: null, merk: null, os: null, kondisi: '', maintenance_until: null })
const row = (id: number, ok: boolean, ts: string, rtt: number | null = ok ? 1.5 : null): ResultRow =>
  ({ timestamp: ts, device_id: id, ip_address: `127.0.0.${id}`, hostname: `h${id}`, ping_success: ok, response_time_ms: rtt, error_message: ok ? '' : 'timeout' })

t.test('latest rows: each device\'s newest row (an older seed does not win), newest first, fields as the cycle gave them', async (t) => {
  const l = new LatestStatus()
  const devices = Array.from({ length: 100 }, (_, i) => device(i + 1))
  l.setDevices(devices)
  l.update(cycleOfRows(devices.map((d) => ({ row: row(d.device_id, true, ''), at: 1000 + d.device_id }))))
  l.seed(row(5, false, 'old'), 10)
  l.update(cycleOfRows([{ row: row(7, false, ''), at: 5000 }]))
  const rows = l.latestRows()
  t.equal(rows.length, 100)
  t.match(rows[0], { device_id: 7, timestamp: formatLocalIso(5000), ping_success: false, response_time_ms: null, error_message: 'timeout', ip_address: '127.0.0.7', hostname: 'h7' })
  t.same(Object.keys(rows[0]).slice(0, 7), ['timestamp', 'device_id', 'ip_address', 'hostname', 'ping_success', 'response_time_ms', 'error_message'])
  t.match(rows.find((r) => r.device_id === 5), { timestamp: formatLocalIso(1005), ping_success: true, response_time_ms: 1.5 })
  t.same(rows.slice(1, 4).map((r) => r.device_id), [100, 99, 98])
})

t.test('status: last seen is the last reply; devices that left are dropped and the rest keep their results', async (t) => {
  const l = new LatestStatus()
  l.setDevices([1, 2, 3].map(device))
  l.update(cycleOfRows([{ row: row(1, true, ''), at: 1 }, { row: row(2, true, ''), at: 1 }]))
  l.update(cycleOfRows([{ row: row(1, false, ''), at: 2 }, { row: row(2, true, '', null), at: 2 }]))
  let s = l.status()
  t.match(s, { total_devices: 3, online_devices: 1, offline_devices: 1, pending_devices: 1 })
  t.match(s.devices.offline[0], { device_id: 1, last_seen: formatLocalIso(1), error_message: 'timeout' })
  t.match(s.devices.online[0], { device_id: 2, last_seen: formatLocalIso(2), response_time_ms: null })
  l.setDevices([2, 3].map(device))
  l.update(cycleOfRows([{ row: row(3, false, ''), at: 3 }]))
  s = l.status()
  t.match(s, { total_devices: 2, online_devices: 1, offline_devices: 1, pending_devices: 0 })
  t.match(s.devices.online[0], { device_id: 2, last_seen: formatLocalIso(2) })
  t.match(s.devices.offline[0], { device_id: 3, last_seen: null })
  t.same(l.latestRows().map((r) => r.device_id), [3, 2])
})

t.test('a cycle reserves room for its devices at once; devices beyond it still get their own rows', async (t) => {
  const l = new LatestStatus()
  const devices = Array.from({ length: 500 }, (_, i) => device(i + 1))
  l.setDevices(devices)
  l.update(cycleOfRows(devices.slice(0, 300).map((d) => ({ row: row(d.device_id, true, ''), at: 1000 }))))
  l.update(cycleOfRows(devices.map((d) => ({ row: row(d.device_id, d.device_id % 2 === 0, ''), at: 2000 + d.device_id }))))
  const rows = l.latestRows()
  t.equal(rows.length, 500)
  for (const id of [1, 2, 300, 301, 500]) {
    t.match(rows.find((r) => r.device_id === id), { timestamp: formatLocalIso(2000 + id), ping_success: id % 2 === 0, hostname: `h${id}` }, `device ${id}`)
  }
  t.match(l.status(), { total_devices: 500, online_devices: 250, offline_devices: 250, pending_devices: 0 })
})
