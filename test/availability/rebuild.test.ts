import t from 'tap'
import { closeSync, openSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { createAvailability } from '../../src/availability/availability-service.js'
import type { MaintenanceWindow } from '../../src/maintenance/maintenance-rule.js'
import { StateTable } from '../../src/state/state-table.js'
import { cycleOfRows, type CycleResult } from '../../src/monitor/cycle.js'
import type { ResultRow } from '../../src/storage/result-row.js'
import { formatLocalIso, localDateKey } from '../../src/lib/local-time.js'
import { CSV_HEADER } from '../../src/storage/result-row.js'
import { csvFileName } from '../../src/storage/csv-files.js'
import { tempDir } from '../helper.js'
import { INTERVAL_S, SETTINGS, T0 } from './simulate.js'

// The rebuild from CSV (a worker thread folds real files, the main thread writes a real SQLite store)
// against live cycles over the same results, through createAvailability both times; and a restart
// in the middle of an outage older than the read-back: one outage, with its true start.

const H = 3_600_000
const M = 60_000
const log = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as any
const DEVICES = 12
const inventory = Array.from({ length: DEVICES }, (_, i) => ({ device_id: i + 1, location: { id: (i + 1) % 3, name: '' }, type: { id: (i + 1) % 2, name: '' }, rack: `R${(i + 1) % 4}` })) as any
// device 4 is in a window for an hour (it is down in the middle of it)
const WINDOW: MaintenanceWindow = { id: 1, scope: { device_ids: [4] }, start: T0 + 90 * M, end: T0 + 150 * M, reason: 'test', created_at: T0, ended_at: null }
const inWindow = (id: number, at: number) => id === 4 && at >= WINDOW.start && at < WINDOW.end

type Result = [id: number, at: number, ok: boolean, rtt: number]

/** 6 hours of 12 devices: outages of several lengths, isolated failures, flapping, one device not monitored a while, one still down at the end */
function results (): Result[] {
  const out: Result[] = []
  for (let at = T0; at < T0 + 6 * H; at += INTERVAL_S * 1000) {
    for (let id = 1; id <= DEVICES; id++) {
      if (id === 5 && at >= T0 + 2 * H && at < T0 + 3 * H) continue
      const from = T0 + id * 25 * M
      let ok = !(at >= from && at < from + id * 3 * M)
      if (id === 6 && Math.floor(at / 5000) % 7 === 0) ok = false // isolated failures
      if (id === 7 && at > T0 + H && at < T0 + 2 * H) ok = Math.floor(at / 5000) % 8 < 4 // flapping
      if (id === 12 && at >= T0 + 5 * H + 30 * M) ok = false // open at the end
      out.push([id, at, ok, ok ? 1.5 + (id % 4) * 0.25 : NaN])
    }
  }
  return out
}

function writeCsv (dir: string, rows: Result[]): void {
  const fds = new Map<string, number>()
  for (const [id, at, ok, rtt] of rows) {
    const key = localDateKey(at)
    let fd = fds.get(key)
    if (fd === undefined) {
      fd = openSync(join(dir, csvFileName(key, 1)), 'w')
      writeSync(fd, CSV_HEADER)
      fds.set(key, fd)
    }
    writeSync(fd, ok ? `${formatLocalIso(at)},${id},127.0.0.${id},d${id},true,${rtt.toFixed(2)},\n` : `${formatLocalIso(at)},${id},127.0.0.${id},d${id},false,,timeout\n`)
  }
  for (const fd of fds.values()) closeSync(fd)
}

function cycles (rows: Result[]): CycleResult[] {
  const by = new Map<number, Array<{ row: ResultRow, at: number }>>()
  for (const [id, at, ok, rtt] of rows) {
    let c = by.get(at)
    if (c === undefined) { c = []; by.set(at, c) }
    c.push({ at, row: { timestamp: formatLocalIso(at), device_id: id, ip_address: `127.0.0.${id}`, hostname: `d${id}`, ping_success: ok, response_time_ms: ok ? rtt : null, error_message: ok ? '' : 'timeout' } })
  }
  return [...by.values()].map((c) => cycleOfRows(c))
}

function dump (file: string): { rollups: unknown[], daily: unknown[], groups: unknown[], outages: unknown[] } {
  const db = new Database(file, { readonly: true })
  try {
    return {
      rollups: db.prepare('SELECT * FROM rollups ORDER BY hour, device_id').all(),
      daily: db.prepare('SELECT * FROM rollups_daily ORDER BY day, device_id').all(),
      groups: db.prepare('SELECT * FROM group_rollups ORDER BY kind, hour, k').all(),
      outages: db.prepare('SELECT * FROM outages ORDER BY device_id, start_at').all()
    }
  } finally { db.close() }
}

t.test('a rebuild from CSV gives the same rollups, group rows and outages as live cycles over the same results', async (t) => {
  const dir = tempDir(t, 'mpm-rebuild-')
  const rows = results()
  const end = T0 + 6 * H

  // live: the state table first, then the availability stage, one cycle at a time
  let now = T0
  const table = new StateTable(SETTINGS)
  const liveFile = join(dir, 'live.sqlite')
  const live = createAvailability({ file: liveFile, days: 30, intervalS: INTERVAL_S, csvDir: join(dir, 'no-csv'), stateSettings: SETTINGS, log, now: () => now, stateOf: (id) => table.get(id)?.snapshot(), maintenanceOf: (id) => inWindow(id, now), flushEveryMs: 3_600_000 })
  live.stage.inventory?.(inventory)
  live.start()
  for (const c of cycles(rows)) {
    now = c.at[0]
    for (const { row, at } of c.rowsOnce()) table.apply({ device_id: row.device_id, ip_address: row.ip_address, hostname: row.hostname, success: row.ping_success, error: row.error_message, at })
    live.stage.cycle?.(c, {} as any)
  }
  now = end
  await live.close()

  // rebuilt: an empty store, the same results in CSV files, the window stored
  const csvDir = join(dir, 'csv')
  const { mkdirSync } = await import('node:fs')
  mkdirSync(csvDir)
  writeCsv(csvDir, rows)
  const rebuiltFile = join(dir, 'rebuilt.sqlite')
  const rb = createAvailability({ file: rebuiltFile, days: 1, intervalS: INTERVAL_S, csvDir, stateSettings: SETTINGS, log, now: () => end, stateOf: () => undefined, maintenanceWindows: () => [WINDOW], flushEveryMs: 3_600_000 })
  rb.stage.inventory?.(inventory)
  rb.start()
  t.equal(rb.status().rebuilding, true, 'an empty store is rebuilt')
  await rb.rebuilt()
  t.equal(rb.status().rebuilding, false)
  await rb.close()

  const a = dump(liveFile)
  const b = dump(rebuiltFile)
  t.ok(a.rollups.length >= DEVICES * 6 - 1, `${a.rollups.length} device-hours`)
  t.ok(a.outages.length >= 10, `${a.outages.length} outages`)
  t.same(b.rollups, a.rollups, 'hourly rollups')
  t.same(b.daily, a.daily, 'daily rollups')
  t.same(b.groups, a.groups, 'group rows')
  t.same(b.outages, a.outages, 'outages, the open one included')
  t.match(a.outages.find((o: any) => o.device_id === 4), { maintenance: 1 }, 'the window overlaps an outage')
  t.match(a.outages.find((o: any) => o.device_id === 12 && o.end_at === null), { start_at: T0 + 5 * H }, 'device 12: down from 5:00, still down at the end')
})

t.test('a restart in the middle of an outage older than the read-back: one outage with its true start', async (t) => {
  const dir = tempDir(t, 'mpm-rebuild-restart-')
  const csvDir = join(dir, 'csv')
  const { mkdirSync } = await import('node:fs')
  mkdirSync(csvDir)
  // device 1 goes down 30 h before the stop and stays down; device 2 goes down 26 h before; device 3 is up
  const stop = T0 + 48 * H
  const restart = stop + H
  const down1 = stop - 30 * H
  const down2 = stop - 26 * H
  const rows: Result[] = []
  for (let at = T0; at < stop; at += INTERVAL_S * 1000) {
    rows.push([1, at, at < down1, 1.5], [2, at, at < down2, 1.5], [3, at, true, 1.5])
  }
  writeCsv(csvDir, rows)
  // the live state table knows the last 24 h only (the read-back at start, HISTORY_HOURS): its down_since is 24 h before the stop
  const table = new StateTable(SETTINGS)
  for (const [id, at, ok] of rows) if (at >= stop - 24 * H) table.apply({ device_id: id, ip_address: '', hostname: '', success: ok, error: ok ? '' : 'timeout', at })
  let now = restart
  const file = join(dir, 'a.sqlite')
  const avail = createAvailability({ file, days: 3, intervalS: INTERVAL_S, csvDir, stateSettings: SETTINGS, log, now: () => now, stateOf: (id) => table.get(id)?.snapshot(), flushEveryMs: 3_600_000 })
  avail.stage.inventory?.(inventory)
  avail.start()
  // live cycles while the rebuild runs: device 1 still down; device 2 back after 2 minutes
  const up2 = restart + 2 * M
  for (let at = restart; at < restart + 5 * M; at += INTERVAL_S * 1000) {
    now = at
    const c = cycles([[1, at, false, NaN], [2, at, at >= up2, 1.5], [3, at, true, 1.5]])[0]
    for (const { row } of c.rowsOnce()) table.apply({ device_id: row.device_id, ip_address: '', hostname: '', success: row.ping_success, error: '', at })
    avail.stage.cycle?.(c, {} as any)
  }
  await avail.rebuilt()
  await avail.flush()
  const o1 = avail.outages({ fromMs: T0, toMs: restart + H, limit: 10, deviceId: 1 })
  const o2 = avail.outages({ fromMs: T0, toMs: restart + H, limit: 10, deviceId: 2 })
  t.same(o1.map((o) => [o.start, o.end]), [[down1, null]], 'device 1: one open outage from its first failed ping')
  t.same(o2.map((o) => [o.start, o.end]), [[down2, up2]], 'device 2: one outage, first failed ping to first reply after the restart')
  // the live record goes on with the joined outage: it ends it, no second one
  for (let at = restart + 5 * M; at < restart + 10 * M; at += INTERVAL_S * 1000) {
    now = at
    const c = cycles([[1, at, true, 1.5], [2, at, true, 1.5], [3, at, true, 1.5]])[0]
    for (const { row } of c.rowsOnce()) table.apply({ device_id: row.device_id, ip_address: '', hostname: '', success: row.ping_success, error: '', at })
    avail.stage.cycle?.(c, {} as any)
  }
  await avail.flush()
  const after = avail.outages({ fromMs: T0, toMs: restart + H, limit: 10, deviceId: 1 })
  t.same(after.map((o) => [o.start, o.end]), [[down1, restart + 5 * M]], 'device 1: the same outage, ended at the first reply')
  // the stopped hour is not monitored: no seconds at all for it
  const stopped = avail.store.db.prepare('SELECT SUM(up_s + down_s + maintenance_s + unreachable_s) AS s FROM rollups WHERE hour >= ? AND hour < ?').get(stop, restart) as { s: number | null }
  t.equal(stopped.s, null, 'the hour stopped has no counted time')
  await avail.close()
})
