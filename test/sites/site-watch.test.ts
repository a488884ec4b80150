import t from 'tap'
import { makeDevice, type Device } from '../../src/inventory/filter-inventory.js'
import { NOT_IN_MAINTENANCE, type MaintenanceStatus } from '../../src/schemas/device-facts.js'
import { computeGroups, STATE_CODE } from '../../src/sites/groups.js'
import { SiteWatch } from '../../src/sites/site-watch.js'
import type { DeviceState, StateEvent } from '../../src/state/device-state.js'

// The site rule and the uplink rule over fake device states (the whole service with real pings is
// test/e2e/sites.test.ts).

const GEDUNG_B = { id: 3, name: 'Gedung B' }
const GEDUNG_A = { id: 1, name: 'Gedung A' }
const SWITCH = { id: 2, name: 'Switch' }
const PC = { id: 5, name: 'PC' }
const dev = (id: number, location = GEDUNG_B, type = PC): Device =>
  makeDevice({ device_id: id, ip_address: `127.66.0.${id}`, hostname: `h${id}`, family: 4, location, type })

function setup (devices: Device[], opts: { uplinks?: number[], inMaintenance?: number[] } = {}) {
  const states = new Map<number, DeviceState>()
  const maint = new Set(opts.inMaintenance ?? [])
  const maintenanceOf = (d: Device): MaintenanceStatus => maint.has(d.device_id) ? { active: true, source: 'kondisi', until: null, overdue: false } : NOT_IN_MAINTENANCE
  const watch = new SiteWatch({ settings: { minDown: 3, ratio: 0.8, uplinkTypeIds: new Set(opts.uplinks ?? []) }, stateOf: (id) => states.get(id), maintenanceOf })
  for (const d of devices) states.set(d.device_id, 'up')
  watch.setDevices(devices)
  /** the machine's changes of one cycle, applied, then the watch's verdict */
  const cycle = (to: DeviceState, ids: number[], at = 1000) => {
    const changes: StateEvent[] = ids.map((id) => {
      const from = states.get(id) ?? 'unknown'
      states.set(id, to)
      return { device_id: id, ip_address: `127.66.0.${id}`, hostname: `h${id}`, from, to, at, reason: 'r', consecutive_failures: 0, last_error: null, down_since: null }
    })
    return watch.onChanges(changes, at)
  }
  return { watch, states, cycle, maintenanceOf }
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i)

t.test('a location all down is one site alert and no device alerts; back up is one message naming who is still down', async (t) => {
  const s = setup([...range(1, 10).map((i) => dev(i)), dev(20, GEDUNG_A), dev(21, GEDUNG_A)])
  const down = s.cycle('down', range(1, 10))
  t.equal(down.notices.length, 1)
  t.match(down.notices[0], { event: 'site_down', location: GEDUNG_B, total: 10, down: 10 })
  t.equal(down.notices[0].devices.length, 10)
  t.same(down.alert, [], 'no device alert')
  t.same(down.covered.map((e) => e.device_id), range(1, 10), 'the site message speaks for the ten changes')
  t.equal(down.events.length, 10, 'the device changes are still logged')
  t.ok(s.watch.isSiteDown(3))

  t.same(s.cycle('down', []).notices, [], 'nothing new while it stays down')
  const back = s.cycle('up', range(1, 9), 2000)
  t.equal(back.notices.length, 1)
  t.match(back.notices[0], { event: 'site_up', down: 1, down_since: 1000 })
  t.same(back.notices[0].devices.map((d) => d.device_id), [10], 'names the device still down')
  t.same(back.alert, [], 'the recoveries are covered by the site message')
  t.same(back.covered.map((e) => [e.device_id, e.to]), range(1, 9).map((i) => [i, 'up']))
  t.notOk(s.watch.isSiteDown(3))

  const later = s.cycle('up', [10], 3000)
  t.same(later.alert.map((e) => e.device_id), [10], 'once the site is up, a device speaks for itself again')
  t.same(later.covered, [])
})

t.test('one device of a healthy location down gets its own alert; below the ratio or the minimum no site', async (t) => {
  const s = setup([...range(1, 10).map((i) => dev(i)), dev(20, GEDUNG_A), dev(21, GEDUNG_A)])
  const one = s.cycle('down', [1])
  t.same(one.notices, [])
  t.same(one.alert.map((e) => e.device_id), [1])
  const seven = s.cycle('down', range(2, 7))
  t.same(seven.notices, [], '7 of 10 < 0.8')
  t.equal(seven.alert.length, 6)
  const small = s.cycle('down', [20, 21])
  t.same(small.notices, [], '2 of 2 is below SITE_DOWN_MIN')
  t.equal(small.alert.length, 2)
  const eight = s.cycle('down', [8])
  t.equal(eight.notices.length, 1, '8 of 10 reaches the ratio')
  t.same(eight.alert, [])
  t.same(s.cycle('down', [9]).alert, [], 'more devices going down while the site is down: no alert')
})

t.test('devices in maintenance do not count; devices without a location never form a site', async (t) => {
  const noLoc = range(30, 35).map((i) => makeDevice({ device_id: i, ip_address: `127.66.0.${i}`, hostname: `n${i}`, family: 4 }))
  const s = setup([...range(1, 10).map((i) => dev(i)), ...noLoc], { inMaintenance: range(1, 5) })
  const r = s.cycle('down', range(6, 9))
  t.equal(r.notices.length, 1, '4 of the 5 not in maintenance')
  t.match(r.notices[0], { total: 5, down: 4 })
  const n = s.cycle('down', range(30, 35))
  t.same(n.notices, [])
  t.equal(n.alert.length, 6)
})

t.test('uplinks down: the other devices are unreachable, not alerted; back: the ones still down are down', async (t) => {
  const devices = [dev(1, GEDUNG_A, SWITCH), ...range(2, 5).map((i) => dev(i, GEDUNG_A)), dev(9, GEDUNG_B), dev(10, GEDUNG_B)]
  const s = setup(devices, { uplinks: [SWITCH.id] })
  const r = s.cycle('down', [1, 2])
  t.same(r.alert.map((e) => [e.device_id, e.to]), [[1, 'down']], 'the uplink alone alerts')
  t.same(r.events.find((e) => e.device_id === 2)?.to, 'unreachable')
  t.equal(s.watch.shownState(2, 'down'), 'unreachable')
  t.equal(s.watch.shownState(1, 'down'), 'down', 'the uplink itself is down')

  // children going down after the uplink: unreachable, no alert
  const later = s.cycle('down', [3, 4, 5])
  t.same(later.events.map((e) => e.to), ['unreachable', 'unreachable', 'unreachable'])
  t.equal(later.notices.length, 1, '4 of 5 unreachable or down: the location is down too')
  t.same(later.alert, [])
  const groups = computeGroups(devices, 'location', (id) => s.watch.shownState(id, s.states.get(id) ?? 'unknown'), s.maintenanceOf, { minDown: 3, ratio: 0.8 })
  t.match(groups[0], { id: 1, total: 5, down: 1, unreachable: 4, state: 'down' })
  t.match(groups[1], { id: 3, state: 'up' })

  // the uplink comes back, 5 still does not answer: its unreachable becomes down
  const back = s.cycle('up', [1, 2, 3, 4], 5000)
  t.same(back.notices.map((n) => n.event), ['site_up'])
  const five = back.events.find((e) => e.device_id === 5)
  t.match(five, { from: 'unreachable', to: 'down' })
  t.same(back.alert, [], 'the site message names it')
  t.same(back.events.find((e) => e.device_id === 2)?.from, 'unreachable')
  t.equal(s.watch.shownState(5, 'down'), 'down')
})

t.test('groups: worst first, counted by type and rack too', async (t) => {
  const devices = [...range(1, 4).map((i) => dev(i)), dev(5, GEDUNG_A), dev(6, GEDUNG_A), { ...dev(7, GEDUNG_A, SWITCH), rack: 'R1' }]
  const states: Record<number, DeviceState> = { 1: 'down', 2: 'down', 3: 'down', 4: 'up', 5: 'down', 6: 'flapping', 7: 'up' }
  const g = computeGroups(devices, 'location', (id) => states[id], () => NOT_IN_MAINTENANCE, { minDown: 3, ratio: 0.7 })
  t.same(g.map((x) => [x.name, x.state]), [['Gedung B', 'down'], ['Gedung A', 'degraded']])
  t.match(g[1], { total: 3, up: 1, down: 1, flapping: 1 })
  const byType = computeGroups(devices, 'type', (id) => states[id], () => NOT_IN_MAINTENANCE, { minDown: 3, ratio: 0.7 })
  t.same(byType.map((x) => [x.id, x.total]), [[5, 6], [2, 1]])
  const byRack = computeGroups(devices, 'rack', (id) => states[id], () => NOT_IN_MAINTENANCE, { minDown: 3, ratio: 0.7 })
  t.same(byRack.map((x) => [x.name, x.total]).sort(), [['R1', 1], ['Tanpa rak', 6]])
})

t.test('refreshStates: states taken over without a change are read again for those devices only', async (t) => {
  const devices = [dev(1, GEDUNG_A, SWITCH), ...range(2, 5).map((i) => dev(i, GEDUNG_A)), dev(9, GEDUNG_B)]
  const s = setup(devices, { uplinks: [SWITCH.id] })
  const codeOf = (id: number) => s.watch.rawStates().raw[devices.findIndex((d) => d.device_id === id)]
  // a hand-over: the state machine holds devices 1-3 down now, and no state change said so
  for (const id of [1, 2, 3, 9]) s.states.set(id, 'down')
  t.equal(codeOf(2), STATE_CODE.up, 'control: without a refresh the watch still has the old state')
  s.watch.refreshStates([1, 2, 3, 404])
  t.same([1, 2, 3].map(codeOf), [STATE_CODE.down, STATE_CODE.down, STATE_CODE.down], 'the given devices are read again (an unknown id is passed over)')
  t.equal(codeOf(9), STATE_CODE.up, 'a device not given is not read again')
  // the next cycle's pass sees them: the uplink is down, so 2 and 3 are shown unreachable
  s.watch.onChanges([], 2000)
  t.equal(s.watch.shownState(2, 'down'), 'unreachable')
  t.same([...s.watch.cutOff()], [GEDUNG_A.id])
})
