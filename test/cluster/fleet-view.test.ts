import t from 'tap'
import { FleetGroups } from '../../src/cluster/fleet-groups.js'
import { FleetView } from '../../src/cluster/fleet-view.js'
import type { ResultMessage } from '../../src/cluster/results-stream.js'
import { makeDevice } from '../../src/inventory/filter-inventory.js'
import { NOT_IN_MAINTENANCE } from '../../src/schemas/device-facts.js'
import type { DeviceState } from '../../src/state/device-state.js'

// The fleet view's versions are what the fleet answers are cached under (/latest and /status through
// the response cache, /groups in FleetGroups): a message that changes nothing shown must leave them.

const LOC = { id: 1, name: 'Gedung A' }
const devices = [1, 2].map((id) => makeDevice({ device_id: id, ip_address: `127.1.0.${id}`, hostname: `h${id}`, family: 4, location: LOC, type: { id: 1, name: 'PC' } }))
const factsOf = (d: typeof devices[number]) => ({ location: d.location, rack: d.rack, type: d.type, kondisi: d.kondisi, maintenance: NOT_IN_MAINTENANCE })
const msg = (s: number, owner: string, id: number, at: number, state: DeviceState, ok = state === 'up'): ResultMessage => ({
  s,
  p: id,
  o: owner,
  r: [{
    at,
    row: { timestamp: new Date(at).toISOString(), device_id: id, ip_address: `127.1.0.${id}`, hostname: `h${id}`, ping_success: ok, response_time_ms: ok ? 0.2 : null, error_message: ok ? '' : 'Request timeout' },
    st: { state, consecutive_failures: ok ? 0 : 3, down_since: null }
  }]
})

/** a fleet view of the two devices, fed these messages */
function fleetOf (...messages: ResultMessage[]): FleetView {
  const fleet = new FleetView(0, factsOf)
  fleet.setDevices(devices)
  for (const m of messages) fleet.add(m)
  return fleet
}

t.test('an unchanged fleet keeps its version; a newer result or another state changes it', async (t) => {
  const fleet = fleetOf(msg(1, 'a', 1, 1000, 'up'), msg(1, 'a', 2, 1000, 'up'))
  const v = fleet.version
  const g = fleet.groupsVersion
  const status = fleet.status()

  // the consumer restarted: the stream's latest message of each partition comes again
  fleet.add(msg(1, 'a', 1, 1000, 'up'))
  fleet.add(msg(1, 'a', 2, 1000, 'up'))
  t.equal(fleet.version, v, 'the same results again: the version stays')
  t.equal(fleet.groupsVersion, g, 'and the groups version')
  t.equal(fleet.status(), status, 'the prepared answer is kept, not made again')

  // a late, older result of a former owner: /latest and /status still show the newer one
  fleet.add(msg(0, 'z', 1, 500, 'down'))
  t.equal(fleet.version, v, 'an older result than the one shown: the version stays')
  t.equal(fleet.groupsVersion, g)
  t.equal(fleet.latestRows().find((r) => r.device_id === 1)?.owner, 'a')

  // the next cycle: newer results (new timestamps shown), the same states
  fleet.add(msg(2, 'a', 1, 2000, 'up'))
  t.not(fleet.version, v, 'a newer result changes what /latest shows: a new version')
  t.not(fleet.groupsVersion, g, 'a new cycle: the groups may be made again once (maintenance comes from outside the states)')
  const g2 = fleet.groupsVersion
  fleet.add(msg(2, 'a', 2, 2000, 'up'))
  t.equal(fleet.groupsVersion, g2, 'the same cycle, the same state: the groups version stays')
  fleet.add(msg(2, 'b', 2, 2100, 'down'))
  t.not(fleet.groupsVersion, g2, 'a state change: a new groups version')
})

t.test('last_seen is the newest successful result, whatever order the results come in', async (t) => {
  const fleet = fleetOf(msg(3, 'b', 1, 3000, 'up'), msg(4, 'b', 1, 4000, 'down'))
  const v = fleet.version
  fleet.add(msg(2, 'a', 1, 2000, 'up'))
  t.equal(fleet.status().devices.offline[0].last_seen, new Date(3000).toISOString(), 'a late older success does not move last_seen back')
  t.equal(fleet.version, v, 'and changes nothing shown')
  fleet.setDevices(devices.slice(1))
  fleet.setDevices(devices)
  fleet.add(msg(5, 'b', 1, 5000, 'down'))
  t.equal(fleet.status().devices.offline[0].last_seen, null, 'a device that left the inventory comes back without its old last_seen')
})

t.test('fleet groups are made again only when the groups version changes', async (t) => {
  const fleet = fleetOf(msg(1, 'a', 1, 1000, 'up'), msg(1, 'a', 2, 1000, 'up'))
  const groups = new FleetGroups(fleet, { minDown: 3, ratio: 0.8, uplinkTypeIds: new Set() }, () => NOT_IN_MAINTENANCE)
  const g = groups.groups('location')
  t.match(g, [{ id: 1, total: 2, up: 2, down: 0 }])
  fleet.add(msg(1, 'a', 2, 1000, 'up'))
  t.equal(groups.groups('location'), g, 'nothing changed: the same answer, not made again')
  fleet.add(msg(1, 'b', 2, 1100, 'down'))
  t.match(groups.groups('location'), [{ id: 1, total: 2, up: 1, down: 1 }], 'a state change shows at once')
})
