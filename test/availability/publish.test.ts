import t from 'tap'
import { join } from 'node:path'
import { createAvailability } from '../../src/availability/availability-service.js'
import { cycleOfRows } from '../../src/monitor/cycle.js'
import { formatLocalIso } from '../../src/lib/local-time.js'
import { StateTable } from '../../src/state/state-table.js'
import { tempDir } from '../helper.js'
import { INTERVAL_S, SETTINGS, T0 } from './simulate.js'

// The availability answers (and their ETags) follow the store's generation. A flush that wrote
// nothing, as with the monitor stopped, must leave it as it is: the once-a-minute flush landing
// between two reloads of a dashboard turned its 304s into 200s (test/e2e/browser/compressed-polling).

const M = 60_000
const log = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as any

t.test('a flush with no new result or outage keeps the generation (and the answers); one with results moves it', async (t) => {
  const table = new StateTable(SETTINGS)
  let now = T0
  const avail = createAvailability({ file: join(tempDir(t), 'a.sqlite'), days: 3, intervalS: INTERVAL_S, csvDir: tempDir(t), stateSettings: SETTINGS, log, now: () => now, stateOf: (id) => table.get(id)?.snapshot(), flushEveryMs: 3_600_000 })
  avail.stage.inventory?.([{ device_id: 1, location: { id: 1, name: '' }, type: { id: 1, name: '' }, rack: null }] as any)
  avail.start()
  await avail.rebuilt()
  const feed = (at: number, ok: boolean) => {
    const c = cycleOfRows([{ at, row: { timestamp: formatLocalIso(at), device_id: 1, ip_address: '127.0.0.1', hostname: 'd1', ping_success: ok, response_time_ms: ok ? 1.5 : null, error_message: ok ? '' : 'timeout' } }])
    table.apply({ device_id: 1, ip_address: '', hostname: '', success: ok, error: ok ? '' : 'timeout', at })
    avail.stage.cycle?.(c, {} as any)
  }
  for (let at = T0; at < T0 + 5 * M; at += INTERVAL_S * 1000) { now = at; feed(at, true) }
  await avail.flush()
  const written = avail.version()
  const ask = { fromMs: T0 - 3_600_000, toMs: T0 + 3_600_000, nowMs: now, groupBy: 'device' } as any
  const before = await avail.queryAsync(ask)

  // the monitor stops: minutes pass, flushes run and write nothing
  now += 3 * M
  await avail.flush()
  now += M
  await avail.flush()
  t.equal(avail.version(), written, 'two empty flushes: the same generation')
  t.equal(await avail.queryAsync(ask), before, 'the same answer object (so the same bytes and ETag)')
  t.equal(Number(avail.store.getMeta('last_seen')), now, 'the heartbeat is still written by an empty flush')

  // results again: the next flush publishes
  for (let at = now; at < now + M; at += INTERVAL_S * 1000) feed(at, false)
  now += M
  await avail.flush()
  t.ok(avail.version() > written, 'a flush that wrote results: a new generation')
  t.not(await avail.queryAsync({ ...ask, nowMs: now }), before, 'and a new answer')
  await avail.close()
})
