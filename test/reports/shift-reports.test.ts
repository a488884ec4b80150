import t from 'tap'
import { cycleOfRows } from '../../src/monitor/cycle.js'
import { join } from 'node:path'
import type { ReportNotice } from '../../src/alerts/notice.js'
import { createAlerts } from '../../src/alerts/alerts.js'
import type { Config } from '../../src/config/env-schema.js'
import { createAvailability } from '../../src/availability/availability-service.js'
import { ReportScheduler } from '../../src/reports/report-scheduler.js'
import { parseReportTimes, slotsBetween } from '../../src/reports/report-times.js'
import type { ReportInputs } from '../../src/reports/shift-report.js'
import { StateTable } from '../../src/state/state-table.js'
import { NO_LOCATION, makeDevice } from '../../src/inventory/filter-inventory.js'
import { tempDir, type TestContext } from '../helper.js'
import { WebhookReceiver } from '../alerts/webhook-receiver.js'
import { SETTINGS } from '../availability/simulate.js'

// Report times are local: the tests run in Jakarta (+07:00, no DST), where 08:00 is 01:00 UTC
process.env.TZ = 'Asia/Jakarta'
const at = (local: string) => Date.parse(`${local}+07:00`)
const log = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as any
const TIMES = parseReportTimes('08:00,16:00,00:00')

/** A clock, a record and a scheduler on one store file: what the service has, without pings. */
function rig (t: TestContext, file: string, startAt: number, send: (n: ReportNotice) => void = () => {}) {
  const clock = { now: startAt }
  const table = new StateTable(SETTINGS)
  const avail = createAvailability({ file, days: 400, intervalS: 5, csvDir: join(file, '..', 'no-csv'), stateSettings: SETTINGS, log, now: () => clock.now, stateOf: (id) => table.get(id)?.snapshot() })
  avail.stage.inventory?.([1, 2].map((id) => makeDevice({ device_id: id, ip_address: `127.0.0.${id}`, hostname: `d${id}`, family: 4, location: { id, name: `L${id}` } })))
  const inputs: ReportInputs = {
    query: (q) => avail.query(q),
    devices: () => [1, 2].map((id) => ({ device_id: id, hostname: `d${id}`, ip_address: `127.0.0.${id}`, state: table.get(id)?.state ?? 'unknown', down_since: table.get(id)?.downSinceAt ?? null, location: { id, name: `L${id}` }, maintenance: false })),
    overdue: () => [],
    health: () => ({ cycles: 10, overruns: 0, csv: { healthy: true, last_error: null, dropped_rows: 0, pending_rows: 0 }, inventory: { healthy: true, last_error: null, skipped_rows: 0, devices: 2 } }),
    locationName: (id) => id === null ? NO_LOCATION.name : `L${id}`
  }
  const sched = new ReportScheduler({ times: TIMES, store: () => avail.store, inputs, flush: () => avail.flush(), send, now: () => clock.now, log })
  /** results of both devices every 5 s up to `to`, ticking the scheduler like the cycles do */
  const run = async (to: number, ok: (id: number, at: number) => boolean = () => true) => {
    for (; clock.now < to; clock.now += 5000) {
      for (const id of [1, 2]) {
        const success = ok(id, clock.now)
        table.apply({ device_id: id, ip_address: '', hostname: '', success, error: '', at: clock.now })
        avail.stage.cycle?.(cycleOfRows([{ at: clock.now, row: { timestamp: '', device_id: id, ip_address: '', hostname: '', ping_success: success, response_time_ms: success ? 2 : null, error_message: '' } }]), {} as any)
      }
      await sched.tick()
    }
  }
  t.teardown(() => { try { avail.store.close() } catch {} })
  return { clock, avail, sched, run }
}

t.test('report times: local, across a day change and a month change in Jakarta', async (t) => {
  t.same(TIMES, [0, 480, 960])
  t.throws(() => parseReportTimes('8h'))
  t.same(parseReportTimes(' '), [])
  const slots = slotsBetween(TIMES, at('2026-11-30T15:00:00'), at('2026-12-01T09:00:00'))
  t.same(slots, [at('2026-11-30T16:00:00'), at('2026-12-01T00:00:00'), at('2026-12-01T08:00:00')])
})

t.test('crossing 08:00 gives one report; a restart at 08:00:30 gives none more', async (t) => {
  const file = join(tempDir(t), 'a.sqlite')
  const sent: ReportNotice[] = []
  const a = rig(t, file, at('2026-12-01T07:50:00'), (n) => sent.push(n))
  a.avail.start()
  await a.sched.start()
  t.equal(sent.length, 0, 'a first start owes none')
  await a.run(at('2026-12-01T08:00:20'))
  t.equal(sent.length, 1)
  t.match(sent[0], { event: 'report', figures: { late: false, period: { from: '2026-12-01T00:00:00.000+07:00', to: '2026-12-01T08:00:00.000+07:00' } } })
  await a.avail.close()

  const b = rig(t, file, at('2026-12-01T08:00:30'), (n) => sent.push(n))
  b.avail.start()
  await b.sched.start()
  await b.run(at('2026-12-01T08:05:00'))
  t.equal(sent.length, 1, 'none more')
  t.equal(b.avail.store.reports(10).length, 1)
  await b.avail.close()
})

t.test('a crash at 07:55 and a start at 08:10: one late report, once', async (t) => {
  const file = join(tempDir(t), 'a.sqlite')
  const sent: ReportNotice[] = []
  const a = rig(t, file, at('2026-12-01T07:00:00'), (n) => sent.push(n))
  a.avail.start()
  await a.sched.start()
  await a.run(at('2026-12-01T07:55:00'))
  // crash: nothing closed, nothing flushed
  a.avail.store.close()
  const b = rig(t, file, at('2026-12-01T08:10:00'), (n) => sent.push(n))
  b.avail.start()
  await b.sched.start()
  t.equal(sent.length, 1)
  t.match(sent[0], { figures: { late: true, period: { to: '2026-12-01T08:00:00.000+07:00' } }, title: /\(late\)/ })
  t.match(b.avail.store.reports(5), [{ late: true, slot: at('2026-12-01T08:00:00') }])
  await b.avail.close()
  const c = rig(t, file, at('2026-12-01T08:12:00'), (n) => sent.push(n))
  c.avail.start()
  await c.sched.start()
  t.equal(sent.length, 1, 'not twice')
  await c.avail.close()
})

t.test('the report\'s figures equal /availability for the same period', async (t) => {
  const file = join(tempDir(t), 'a.sqlite')
  const sent: ReportNotice[] = []
  const a = rig(t, file, at('2026-12-01T00:00:10'), (n) => sent.push(n))
  a.avail.start()
  await a.sched.start()
  // device 2 down 02:00-02:30 and 05:00-05:05, down again from 07:40 (still down at 08:00)
  const down = (id: number, ms: number) => id === 2 && ((ms >= at('2026-12-01T02:00:00') && ms < at('2026-12-01T02:30:00')) || (ms >= at('2026-12-01T05:00:00') && ms < at('2026-12-01T05:05:00')) || ms >= at('2026-12-01T07:40:00'))
  await a.run(at('2026-12-01T08:00:05'), (id, ms) => !down(id, ms))
  t.equal(sent.length, 1)
  const f = sent[0].figures as any
  const q = { fromMs: at('2026-12-01T00:00:00'), toMs: at('2026-12-01T08:00:00'), nowMs: a.clock.now, maintenance: 'exclude' as const }
  const byDevice = a.avail.query({ ...q, groupBy: 'device' }).entries
  const byLocation = a.avail.query({ ...q, groupBy: 'location' }).entries
  const d2 = byDevice.find((e) => e.key === 2)!
  t.equal(f.outages.count, 3)
  t.equal(f.outages.count, d2.outages)
  t.equal(f.outages.longest_s, d2.longest_outage_s)
  t.equal(f.outages.longest_s, 1800)
  t.equal(f.worst_locations[0].location_id, 2)
  t.equal(f.worst_locations[0].availability_percent, byLocation.find((e) => e.key === 2)!.availability_percent)
  // 30 + 5 + 20 minutes down of 8 h (the first 10 s before the first result are not monitored)
  t.equal(d2.down_s, 55 * 60)
  t.match(f.down_now, [{ device_id: 2, since: '2026-12-01T07:40:00.000+07:00', location: { name: 'L2' } }])
  t.match(f.devices, { total: 2, up: 1, down: 1 })
  t.match(sent[0].text, /Down now \(1\):\n- d2 \(127\.0\.0\.2\) at L2, since 2026-12-01T07:40/)
  await a.avail.close()
})

t.test('a report reaches a real webhook receiver through alerts.send, text and figures', async (t) => {
  const receiver = await WebhookReceiver.start(t)
  const config = { ALERT_TIMEOUT: 2, ALERT_QUEUE_MAX: 10, ALERT_RETRIES: 0, ALERT_RETRY_DELAY: 0.1, ALERT_WEBHOOK_FORMAT: 'json', ALERT_BATCH_MIN: 5 } as unknown as Config
  const alerts = createAlerts({ config, urls: [new URL(receiver.url())], userAgent: 'test', log })
  const a = rig(t, join(tempDir(t), 'a.sqlite'), at('2026-12-01T15:59:00'), (n) => alerts.send([n]))
  a.avail.start()
  await a.sched.start()
  await a.run(at('2026-12-01T16:00:05'))
  const [r] = await receiver.waitForReceived(1)
  t.match(r.body, { type: 'report', title: /^Shift report 2026-12-01T08:00/, text: /Devices: 2 \(up 2/, figures: { outages: { count: 0 }, devices: { total: 2 } } })
  await alerts.close(1000)
  await a.avail.close()
})
