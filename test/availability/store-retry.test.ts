import t from 'tap'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createAvailability, type Availability } from '../../src/availability/availability-service.js'
import { cycleOfRows } from '../../src/monitor/cycle.js'
import { formatLocalIso } from '../../src/lib/local-time.js'
import { StateTable } from '../../src/state/state-table.js'
import { tempDir, waitFor, type TestContext } from '../helper.js'
import { INTERVAL_S, SETTINGS, T0 } from './simulate.js'

// The availability store fails (it cannot be opened at start, or a flush cannot write) and the
// monitor goes on: the rollups and outage changes wait in memory, and the first flush that commits
// writes each of them once. A failed open is retried on a timer of its own (1 s, doubling), as the
// CSV and event writers retry: the monitor may have stopped, so no new result would bring it back.

const M = 60_000
const log = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as any

interface Fleet { avail: Availability, feed: (at: number, ok: (id: number) => boolean) => void, setNow: (at: number) => void }

function fleet (t: TestContext, file: string, ids: number[]): Fleet {
  const table = new StateTable(SETTINGS)
  let now = T0
  const avail = createAvailability({ file, days: 3, intervalS: INTERVAL_S, csvDir: tempDir(t), stateSettings: SETTINGS, log, now: () => now, stateOf: (id) => table.get(id)?.snapshot(), flushEveryMs: 3_600_000 })
  avail.stage.inventory?.(ids.map((id) => ({ device_id: id, location: { id: 1, name: '' }, type: { id: 1, name: '' }, rack: null })) as any)
  const feed = (at: number, ok: (id: number) => boolean) => {
    const rows = ids.map((id) => ({ at, row: { timestamp: formatLocalIso(at), device_id: id, ip_address: '127.0.0.1', hostname: `d${id}`, ping_success: ok(id), response_time_ms: ok(id) ? 1.5 : null, error_message: ok(id) ? '' : 'timeout' } }))
    for (const r of rows) table.apply({ device_id: r.row.device_id, ip_address: '', hostname: '', success: r.row.ping_success, error: r.row.error_message, at })
    avail.stage.cycle?.(cycleOfRows(rows), {} as any)
  }
  return { avail, feed, setNow: (at) => { now = at } }
}

/** sent results per device over every stored hour */
const sentByDevice = (a: Availability): Record<number, number> => Object.fromEntries(
  (a.store.db.prepare('SELECT device_id, SUM(sent) AS sent FROM rollups GROUP BY device_id').all() as any[]).map((r) => [r.device_id, r.sent]))

t.test('the store cannot be opened at start: everything waits; the retry opens it and writes it all once', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'blocked'), 'a file where the directory should be')
  const f = fleet(t, join(dir, 'blocked', 'a.sqlite'), [1, 2, 3])
  f.avail.start()
  t.match(f.avail.status(), { healthy: false, last_error: /^(EEXIST|ENOTDIR)/, write_errors: 1 })
  // 10 minutes; device 2 fails from minute 2 on (down after 3 failures: an outage from its first failure)
  const failFrom = T0 + 2 * M
  let results = 0
  for (let at = T0; at < T0 + 10 * M; at += INTERVAL_S * 1000) {
    f.setNow(at)
    f.feed(at, (id) => id !== 2 || at < failFrom)
    results++
  }
  await f.avail.flush()
  t.equal(f.avail.status().last_flush_ms, null, 'a flush before the store opens writes nothing')
  t.ok(f.avail.status().pending_rollups > 0, 'the rollups wait in memory')
  t.ok(f.avail.status().write_errors <= 2, 'the open was tried again on its timer, not on every cycle and flush')

  rmSync(join(dir, 'blocked'))
  mkdirSync(join(dir, 'blocked'))
  await waitFor(() => f.avail.status().healthy && f.avail.status().last_flush_ms !== null, 10_000, 'opened and flushed by the retry')
  t.equal(f.avail.status().pending_rollups, 0)
  t.same(sentByDevice(f.avail), { 1: results, 2: results, 3: results }, 'every result counted once')
  const outages = f.avail.outages({ fromMs: T0, toMs: T0 + 10 * M, limit: 10 })
  t.match(outages, [{ device_id: 2, start: failFrom, end: null, cause: 'down' }], "device 2's outage, from its first failure, still open")
  t.equal(outages.length, 1)
  await f.avail.close()
})

t.test('flushes fail (the store is full): the rollups and outages wait, merged, and the flush that commits writes them once', async (t) => {
  const ids = Array.from({ length: 300 }, (_, i) => i + 1)
  const f = fleet(t, join(tempDir(t), 'a.sqlite'), ids)
  f.avail.start()
  await f.avail.rebuilt()
  const db = f.avail.store.db
  // SQLite's own limit: a write that needs a page beyond it fails with SQLITE_FULL, as on a full disk
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`)
  let results = 0
  const failFrom = T0 + 30 * M
  const minutes = (from: number, to: number) => {
    for (let at = from; at < to; at += INTERVAL_S * 1000) {
      f.setNow(at)
      // devices 1-10 go down at minute 30: their outages open in the second failed flush's time
      f.feed(at, (id) => id > 10 || at < failFrom)
      results++
    }
  }
  minutes(T0, T0 + 20 * M)
  await f.avail.flush()
  t.match(f.avail.status(), { healthy: false, last_error: /full/, write_errors: 1 }, 'the first flush failed')
  const waiting = f.avail.status().pending_rollups
  t.equal(waiting, ids.length, 'its rows are back in memory, one per device-hour')
  // into the next hour: rows of two hours, one of them merged with the failed flush's
  minutes(T0 + 20 * M, T0 + 70 * M)
  await f.avail.flush()
  // the outages opened at minute 30 (written with the cycle) and the hour boundary's flush failed too
  t.match(f.avail.status(), { healthy: false, last_error: /full/ }, 'the later writes failed too')
  const errors = f.avail.status().write_errors
  t.ok(errors >= 2, `${errors} failed writes`)
  t.equal(f.avail.status().pending_rollups, 2 * ids.length, 'still one row per device-hour, not one per failed flush')

  db.pragma('max_page_count = 1073741823')
  await f.avail.flush()
  t.match(f.avail.status(), { healthy: true, failing_since: null, last_error: null, pending_rollups: 0, write_errors: errors })
  const sent = sentByDevice(f.avail)
  t.equal(Object.keys(sent).length, ids.length)
  t.ok(ids.every((id) => sent[id] === results), `each device's ${results} results counted once`)
  const open = f.avail.outages({ fromMs: T0, toMs: T0 + 70 * M, open: true, limit: 100 })
  t.same(open.map((o) => o.device_id).sort((a, b) => a - b), ids.slice(0, 10), 'the outages that began while the flushes failed')
  t.ok(open.every((o) => o.start === failFrom))
  await f.avail.close()
})
