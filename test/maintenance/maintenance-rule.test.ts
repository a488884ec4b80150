import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeDevice, type Device } from '../../src/inventory/filter-inventory.js'
import { compileWindow, endOfLocalDay, maintenanceStatus, nextBoundary, type MaintenanceWindow } from '../../src/maintenance/maintenance-rule.js'
import { createMaintenance, type MaintenanceOptions } from '../../src/maintenance/maintenance.js'
import { parseIsoTime, planWindow } from '../../src/maintenance/window-request.js'
import type { Notice } from '../../src/alerts/notice.js'
import type { DeviceStateSnapshot, StateEvent } from '../../src/state/device-state.js'

// Local dates are those of the process time zone. Asia/Jakarta is UTC+7 all year: the end of a local
// day is 17:00 UTC, so a rule that used UTC days (or 24 h from some instant) would fail here. Set
// before anything computes a date (the modules compute none when imported).
process.env.TZ = 'Asia/Jakarta'
const J = (local: string) => Date.parse(`${local}+07:00`)
const quiet = { info: () => {}, warn: () => {}, error: () => {} }

const dev = (id: number, more: Partial<Device> = {}) => makeDevice({ device_id: id, ip_address: `127.66.0.${id}`, hostname: `d${id}`, family: 4, ...more })
const win = (id: number, scope: MaintenanceWindow['scope'], start: number, end: number): MaintenanceWindow => ({ id, scope, start, end, reason: 'r', created_at: start, ended_at: null })

t.test('the process runs in Asia/Jakarta', async (t) => {
  t.equal(new Date(J('2026-12-02T12:00:00')).getTimezoneOffset(), -420)
})

t.test('end of a local day: the next local midnight; not a date → null', async (t) => {
  t.equal(endOfLocalDay('2026-12-02'), J('2026-12-03T00:00:00'))
  t.equal(endOfLocalDay('2026-12-31'), J('2027-01-01T00:00:00'))
  t.equal(endOfLocalDay('2028-02-29'), J('2028-03-01T00:00:00'))
  for (const bad of ['2026-02-30', '2026-13-01', '2026-2-3', '', 'soon']) t.equal(endOfLocalDay(bad), null, bad)
})

t.test('kondisi = maintenance with a date: active to the end of that local day, then overdue (still silent)', async (t) => {
  const d = dev(1, { kondisi: 'maintenance', maintenance_until: '2026-12-02', location: { id: 3, name: 'Gedung B' } })
  t.same(maintenanceStatus(d, J('2026-12-02T08:00:00'), []), { active: true, source: 'kondisi', until: '2026-12-02T23:59:59.999+07:00', overdue: false })
  t.same(maintenanceStatus(d, J('2026-12-02T23:59:59.999'), []), { active: true, source: 'kondisi', until: '2026-12-02T23:59:59.999+07:00', overdue: false }, 'last millisecond of the day')
  // 17:00 UTC on 2 December: a UTC reading would still say "2 December", and not overdue
  t.same(maintenanceStatus(d, J('2026-12-03T00:00:00'), []), { active: true, source: 'kondisi', until: '2026-12-02T23:59:59.999+07:00', overdue: true }, 'first millisecond of the next day')
  t.same(maintenanceStatus(d, J('2026-12-20T00:00:00'), []).overdue, true)
})

t.test('kondisi = maintenance without a date: until kondisi changes; other kondisi: not in maintenance', async (t) => {
  t.same(maintenanceStatus(dev(1, { kondisi: 'maintenance' }), J('2030-01-01T00:00:00'), []), { active: true, source: 'kondisi', until: null, overdue: false })
  t.same(maintenanceStatus(dev(1, { kondisi: 'maintenance', maintenance_until: 'not a date' }), J('2030-01-01T00:00:00'), []), { active: true, source: 'kondisi', until: null, overdue: false })
  t.same(maintenanceStatus(dev(1, { kondisi: 'baik', maintenance_until: '2026-12-02' }), J('2026-12-02T08:00:00'), []), { active: false, source: null, until: null, overdue: false })
})

t.test('windows: scope by device, location, type or all; start <= now < end; until the latest applicable end', async (t) => {
  const s = J('2026-12-02T22:00:00')
  const e = J('2026-12-03T02:00:00')
  const a = dev(12, { location: { id: 3, name: 'Gedung B' }, type: { id: 5, name: 'Switch' } })
  const b = dev(13, { location: { id: 4, name: 'Gedung C' }, type: { id: 6, name: 'Printer' } })
  const none = dev(14)
  const windows = [win(1, { device_ids: [12] }, s, e), win(2, { location_ids: [4] }, s, e + 3_600_000), win(3, { type_ids: [5] }, s, e + 7_200_000)].map(compileWindow)
  t.same(maintenanceStatus(a, s - 1, windows), { active: false, source: null, until: null, overdue: false }, 'before the start')
  t.same(maintenanceStatus(a, s, windows), { active: true, source: 'window', until: '2026-12-03T04:00:00.000+07:00', overdue: false }, 'device and type windows: the later end')
  t.same(maintenanceStatus(b, s, windows).until, '2026-12-03T03:00:00.000+07:00', 'location window')
  t.equal(maintenanceStatus(none, s, windows).active, false, 'a device without location or type is not in an id scope')
  t.equal(maintenanceStatus(b, e + 3_600_000, windows).active, false, 'the end is exclusive')
  t.equal(maintenanceStatus(none, s, [compileWindow(win(4, 'all', s, e))]).active, true, '"all"')
  // kondisi and a window together: kondisi is the source, until the later end
  const k = dev(12, { kondisi: 'maintenance', maintenance_until: '2026-12-02', type: { id: 5, name: 'Switch' } })
  t.same(maintenanceStatus(k, s, windows), { active: true, source: 'kondisi', until: '2026-12-03T04:00:00.000+07:00', overdue: false })
})

t.test('next boundary: the soonest window start or end, or end of a kondisi day, after now', async (t) => {
  const now = J('2026-12-02T12:00:00')
  const devices = [dev(1, { kondisi: 'maintenance', maintenance_until: '2026-12-02' }), dev(2, { kondisi: 'maintenance', maintenance_until: '2026-11-01' }), dev(3)]
  t.equal(nextBoundary(devices, [], now), J('2026-12-03T00:00:00'))
  t.equal(nextBoundary(devices, [win(1, 'all', J('2026-12-02T20:00:00'), J('2026-12-04T00:00:00'))], now), J('2026-12-02T20:00:00'))
  t.equal(nextBoundary(devices, [win(1, 'all', J('2026-12-01T20:00:00'), J('2026-12-02T13:00:00'))], now), J('2026-12-02T13:00:00'))
  t.equal(nextBoundary([dev(3)], [], now), Infinity)
})

t.test('requests: dates, end or duration, end after start; a schema cannot check these', async (t) => {
  const now = J('2026-12-02T21:00:00')
  t.equal(parseIsoTime('2026-12-02T22:00:00+07:00'), J('2026-12-02T22:00:00'))
  t.equal(parseIsoTime('2026-12-02T22:00'), J('2026-12-02T22:00:00'), 'no offset: local time')
  t.equal(parseIsoTime('2026-12-02T15:00:00.5Z'), J('2026-12-02T22:00:00.500'))
  for (const bad of ['2026-02-30T00:00:00Z', '2026-12-02 22:00', 'tomorrow', '2026-12-02T24:00:00Z', '2026-12-02T22:00:00+25:00']) t.equal(parseIsoTime(bad), null, bad)
  t.same(planWindow({ scope: 'all', duration_minutes: 30, reason: ' x ' }, now), { scope: 'all', start: now, end: now + 1_800_000, reason: 'x' })
  t.same(planWindow({ scope: { device_ids: [1] }, start: '2026-12-02T22:00:00+07:00', end: '2026-12-03T02:00:00+07:00', reason: 'x' }, now).end, J('2026-12-03T02:00:00'))
  const refuse = (body: any, msg: RegExp) => t.throws(() => planWindow(body, now), { statusCode: 400, message: msg })
  refuse({ scope: 'all', end: '2026-12-02T22:00:00+07:00', duration_minutes: 5, reason: 'x' }, /not both/)
  refuse({ scope: 'all', reason: 'x' }, /end or body\/duration_minutes is required/)
  refuse({ scope: 'all', start: '2026-12-02T23:00:00+07:00', end: '2026-12-02T22:00:00+07:00', reason: 'x' }, /end must be after body\/start/)
  refuse({ scope: 'all', start: '2026-12-02T19:00:00+07:00', end: '2026-12-02T20:00:00+07:00', reason: 'x' }, /already be over/)
  refuse({ scope: 'all', end: 'later', reason: 'x' }, /body\/end is not an ISO 8601/)
  refuse({ scope: 'all', start: '2026-02-30T00:00:00Z', duration_minutes: 5, reason: 'x' }, /body\/start is not an ISO 8601/)
  refuse({ scope: 'all', duration_minutes: 5, reason: '   ' }, /blank/)
  refuse({ scope: 'all', start: '2026-12-02T22:00:00+07:00', end: '2028-12-02T22:00:00+07:00', reason: 'x' }, /at most 366 days/)
})

// ── the controller with an injected clock, fake alerts and fake device states

interface Harness {
  clock: { t: number }
  devices: Device[]
  states: Map<number, DeviceStateSnapshot>
  notified: StateEvent[]
  notices: Notice[]
  rebuilding: boolean
  m: ReturnType<typeof createMaintenance>
}

function harness (dir: string, start: number, devices: Device[], config: Partial<MaintenanceOptions['config']> = {}): Harness {
  const h = { clock: { t: start }, devices, states: new Map(), notified: [], notices: [], rebuilding: false } as unknown as Harness
  h.m = createMaintenance({
    config: { CSV_OUTPUT_DIR: dir, MAINTENANCE_OVERDUE_HOUR: 8, ...config },
    log: quiet,
    now: () => h.clock.t,
    devices: () => h.devices,
    inventoryLoaded: () => true,
    stateOf: (id) => h.states.get(id),
    rebuilding: () => h.rebuilding,
    alerts: { notify: (e) => h.notified.push(...e), send: (n) => h.notices.push(...n) }
  })
  h.m.load()
  return h
}

const snap = (id: number, state: DeviceStateSnapshot['state'], downSince: number | null = null): DeviceStateSnapshot =>
  ({ device_id: id, ip_address: `127.66.0.${id}`, hostname: `d${id}`, state, consecutive_failures: state === 'down' ? 3 : 0, consecutive_successes: 0, down_since: downSince, last_change: null, last_error: state === 'down' ? 'No response (timeout)' : null, last_result_at: null })
const change = (id: number, from: StateEvent['from'], to: StateEvent['to'], at: number): StateEvent =>
  ({ device_id: id, ip_address: `127.66.0.${id}`, hostname: `d${id}`, from, to, at, reason: 'r', consecutive_failures: to === 'down' ? 3 : 0, last_error: null, down_since: to === 'down' ? at : null })
const tick = (h: Harness) => h.m.stage.cycle?.({ rows: [], up: 0, down: 0, targets: 0 } as any, {} as any)

function tempDir (t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mpm-maint-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('overdue across midnight in Jakarta: silent, counted, announced once a day (a restart the same day does not repeat it)', async (t) => {
  const dir = tempDir(t)
  const d = dev(7, { kondisi: 'maintenance', maintenance_until: '2026-12-02', location: { id: 3, name: 'Gedung B' }, type: { id: 2, name: 'Printer' } })
  const h = harness(dir, J('2026-12-02T23:59:59.000'), [d, dev(8)])
  tick(h)
  t.same(h.m.summary(), { active_windows: 0, future_windows: 0, devices_in_maintenance: 1, by_kondisi: 1, by_window: 0, overdue: 0 })
  t.equal(h.notices.length, 0)
  h.clock.t = J('2026-12-03T00:00:00.000')
  tick(h)
  t.equal(h.m.summary().overdue, 1, 'overdue from the first millisecond of 3 December local')
  t.match(h.m.statusOf(d), { active: true, overdue: true, source: 'kondisi' })
  t.equal(h.notices.length, 0, 'not before MAINTENANCE_OVERDUE_HOUR')
  // a down overdue device is still silent: its change is not passed on
  t.same(h.m.gate([change(7, 'up', 'down', h.clock.t), change(8, 'up', 'down', h.clock.t)]).map((e) => e.device_id), [8])
  h.clock.t = J('2026-12-03T08:00:00.000')
  tick(h)
  tick(h)
  t.equal(h.notices.length, 1, 'one notice at 08:00')
  t.match(h.notices[0], { event: 'maintenance_overdue', at: J('2026-12-03T08:00:00'), devices: [{ device_id: 7, ip_address: '127.66.0.7', hostname: 'd7', location: { id: 3, name: 'Gedung B' }, until: '2026-12-02' }] })
  await h.m.settled()
  t.equal(JSON.parse(readFileSync(join(dir, 'maintenance_windows.json'), 'utf8')).overdue_announced_day, '20261203')

  const again = harness(dir, J('2026-12-03T15:00:00'), [d])
  tick(again)
  t.equal(again.notices.length, 0, 'a restart the same day does not announce again')
  again.clock.t = J('2026-12-04T08:00:00')
  tick(again)
  t.equal(again.notices.length, 1, 'the next day it does')
  // kondisi changes while the device is down: maintenance is over, one down alert
  again.states.set(7, snap(7, 'down', J('2026-12-03T01:00:00')))
  again.devices = [{ ...d, kondisi: 'baik' }]
  again.m.stage.inventory?.(again.devices)
  t.match(again.notified, [{ device_id: 7, from: 'unknown', to: 'down', reason: 'still down when its maintenance ended', down_since: J('2026-12-03T01:00:00') }])
  t.equal(again.m.summary().devices_in_maintenance, 0)
})

t.test('windows: the end-of-maintenance rule, with a clock that passes the window end between cycles', async (t) => {
  const dir = tempDir(t)
  const t0 = J('2026-12-02T21:00:00')
  const h = harness(dir, t0, [dev(1), dev(2), dev(3), dev(4), dev(5)])
  // device 2 was alerted down before the window
  h.states.set(2, snap(2, 'down', t0 - 60_000))
  t.same(h.m.gate([change(2, 'up', 'down', t0 - 60_000)]).length, 1)
  const w = await h.m.create({ scope: { device_ids: [1, 2, 3, 4] }, start: '2026-12-02T22:00:00+07:00', end: '2026-12-02T23:00:00+07:00', reason: 'firmware' })
  t.match(w, { id: 1, active: false, start: '2026-12-02T22:00:00.000+07:00', end: '2026-12-02T23:00:00.000+07:00', ended_at: null })
  t.same(h.m.summary(), { active_windows: 0, future_windows: 1, devices_in_maintenance: 0, by_kondisi: 0, by_window: 0, overdue: 0 })
  h.clock.t = J('2026-12-02T22:00:00')
  tick(h)
  t.same(h.m.summary(), { active_windows: 1, future_windows: 0, devices_in_maintenance: 4, by_kondisi: 0, by_window: 4, overdue: 0 }, 'active at its start')
  // in the window: 1 goes down, 3 goes down and recovers, 4 goes down; 5 (outside) goes down
  const inWindow = [change(1, 'up', 'down', h.clock.t), change(3, 'up', 'down', h.clock.t), change(3, 'down', 'up', h.clock.t), change(4, 'up', 'down', h.clock.t), change(5, 'up', 'down', h.clock.t)]
  t.same(h.m.gate(inWindow).map((e) => e.device_id), [5], 'only the device outside the window is alerted')
  h.states.set(1, snap(1, 'down', h.clock.t))
  h.states.set(3, snap(3, 'up'))
  h.states.set(4, snap(4, 'down', h.clock.t))
  h.clock.t = J('2026-12-02T22:59:59.999')
  tick(h)
  t.same(h.notified, [], 'nothing before the end')
  // 4 ends its outage in the last moment, too late for the verdict: still down at the end
  h.clock.t = J('2026-12-02T23:00:00')
  tick(h)
  t.same(h.notified.map((e) => e.device_id).sort(), [1, 4], 'down now and never alerted: 1 and 4; 2 was alerted before; 3 recovered')
  t.match(h.notified[0], { to: 'down', at: J('2026-12-02T23:00:00'), consecutive_failures: 3, last_error: 'No response (timeout)' })
  tick(h)
  t.equal(h.notified.length, 2, 'once')
  t.same(h.m.windows(), [], 'over: no longer listed')
  // still in the file for the audit
  const file = JSON.parse(readFileSync(join(dir, 'maintenance_windows.json'), 'utf8'))
  t.equal(file.windows.length, 1)
  await t.rejects(h.m.end(1), { statusCode: 404, message: /has id 1$/ })
})

t.test('a window deleted early, a future one cancelled, and a restart keeps the windows', async (t) => {
  const dir = tempDir(t)
  const t0 = J('2026-12-02T10:00:00')
  const h = harness(dir, t0, [dev(1), dev(2)])
  await h.m.create({ scope: 'all', duration_minutes: 120, reason: 'a' })
  await h.m.create({ scope: { device_ids: [2] }, start: '2026-12-03T10:00:00+07:00', duration_minutes: 60, reason: 'b' })
  t.same(h.m.windows().map((w) => [w.id, w.active]), [[1, true], [2, false]])
  h.states.set(1, snap(1, 'down', t0 + 1000))
  h.clock.t = t0 + 60_000
  t.equal(h.m.gate([change(1, 'up', 'down', t0 + 1000)]).length, 0)

  const restarted = harness(dir, t0 + 120_000, [dev(1), dev(2)])
  t.same(restarted.m.windows().map((w) => w.id), [1, 2], 'both windows read back')
  restarted.states.set(1, snap(1, 'down', t0 + 1000))
  restarted.m.stage.replayDone?.()
  const ended = await restarted.m.end(1)
  t.match(ended, { id: 1, active: false, ended_at: String })
  t.same(restarted.notified.map((e) => e.device_id), [1], 'down since inside the window: alerted when it is deleted')
  const cancelled = await restarted.m.end(2)
  t.equal(cancelled.active, false)
  restarted.clock.t = J('2026-12-03T10:30:00')
  t.equal(restarted.m.isActive(2), false, 'a cancelled window never starts')
  await t.rejects(restarted.m.end(99), { statusCode: 404, message: 'No active or future maintenance window has id 99' })
})

t.test('after a restart, a device down since before its window was alerted then: no second alert', async (t) => {
  const dir = tempDir(t)
  const t0 = J('2026-12-02T10:00:00')
  const h = harness(dir, t0, [dev(1)])
  h.states.set(1, snap(1, 'down', t0 - 3_600_000))
  await h.m.create({ scope: { device_ids: [1] }, duration_minutes: 10, reason: 'a' })
  const restarted = harness(dir, t0 + 60_000, [dev(1)])
  restarted.states.set(1, snap(1, 'down', t0 - 3_600_000))
  restarted.m.stage.replayDone?.()
  restarted.clock.t = t0 + 10 * 60_000
  tick(restarted)
  t.same(restarted.notified, [])
})

t.test('a bad file is moved aside, not overwritten; windows of a bad shape are skipped', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'm.json')
  writeFileSync(file, '{"version": 1, "next_id": 1')
  const h = harness(dir, J('2026-12-02T10:00:00'), [], { MAINTENANCE_FILE: file })
  t.same(h.m.windows(), [])
  t.ok(readdirSync(dir).some((f) => f.startsWith('m.json.corrupt-')))
  t.notOk(existsSync(file))
  writeFileSync(file, JSON.stringify({ version: 1, next_id: 2, overdue_announced_day: null, windows: [{ id: 5, scope: 'all', start: 0, end: J('2027-01-01T00:00:00'), reason: 'ok', created_at: 0, ended_at: null }, { id: 6, scope: 'nothing' }] }))
  const h2 = harness(dir, J('2026-12-02T10:00:00'), [], { MAINTENANCE_FILE: file })
  t.same(h2.m.windows().map((w) => w.id), [5])
  const w = await h2.m.create({ scope: 'all', duration_minutes: 1, reason: 'x' })
  t.equal(w.id, 6, 'ids continue after the highest one kept')
})

t.test('a window that ends while states are rebuilt at start: its alert waits for the verdict', async (t) => {
  const dir = tempDir(t)
  const t0 = J('2026-12-02T10:00:00')
  const h = harness(dir, t0, [dev(1), dev(2)])
  await h.m.create({ scope: { device_ids: [1, 2] }, duration_minutes: 1, reason: 'a' })
  tick(h)
  h.rebuilding = true
  h.clock.t = t0 + 60_000
  tick(h)
  t.same(h.notified, [], 'no verdict yet: nothing sent')
  // the rebuilt states: 1 down, 2 up
  h.states.set(1, snap(1, 'down', t0 + 5000))
  h.states.set(2, snap(2, 'up'))
  h.rebuilding = false
  tick(h)
  t.same(h.notified.map((e) => e.device_id), [1])
  tick(h)
  t.equal(h.notified.length, 1)
})

t.test('a device its site message announced down is not alerted again when a later window on it ends', async (t) => {
  const dir = tempDir(t)
  const t0 = J('2026-12-02T09:00:00')
  const h = harness(dir, t0, [dev(1), dev(2)])
  // the site rule sent one site message for 1 and 2: no device alerts, both covered
  const down = [change(1, 'up', 'down', t0), change(2, 'up', 'down', t0)]
  t.same(h.m.gate([], down), [], 'covered changes are not sent one by one')
  h.states.set(1, snap(1, 'down', t0))
  h.states.set(2, snap(2, 'down', t0))
  // then both go into maintenance; 2's site recovery (covered by the site_up message) came before
  t.same(h.m.gate([], [change(2, 'down', 'up', t0 + 30_000)]), [])
  h.states.set(2, snap(2, 'up'))
  await h.m.create({ scope: { device_ids: [1, 2] }, duration_minutes: 60, reason: 'repair' })
  t.same(h.m.gate([change(2, 'up', 'down', t0 + 60_000)]), [], 'in maintenance: held back')
  h.states.set(2, snap(2, 'down', t0 + 60_000))
  h.clock.t = t0 + 3_600_000
  tick(h)
  t.same(h.notified.map((e) => e.device_id), [2], 'when it ends: 1 was announced down by its site; 2 was told up since, so it is owed a down alert')
})
