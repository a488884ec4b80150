import { Type, type Static } from 'typebox'
import { Nullable, StringEnum, errorResponses } from './common.js'
import { GROUP_STATES } from '../sites/groups.js'
import { Scope } from './latest.js'

/** /api/ping/groups: the monitored devices counted by location, type or rack. */

export const GroupSchema = Type.Object({
  id: Nullable(Type.Integer(), { description: 'id_lokasi / jenis_barang_id; null for devices without one, and for racks' }),
  name: Type.String(),
  total: Type.Integer(),
  up: Type.Integer(),
  down: Type.Integer(),
  unreachable: Type.Integer(),
  flapping: Type.Integer(),
  unknown: Type.Integer({ description: 'no verdict yet' }),
  maintenance: Type.Integer({ description: 'devices in maintenance (also counted in their state)' }),
  state: StringEnum(GROUP_STATES, {
    description: 'down: at least SITE_DOWN_MIN of its devices not in maintenance are down (unreachable included) and they are at least SITE_DOWN_RATIO of them; ' +
      'unreachable: some devices are behind down uplinks; degraded: some are down; flapping: some flap; up; unknown: no result yet'
  })
})
export type GroupData = Static<typeof GroupSchema>

const example = {
  success: true,
  by: 'location',
  data: [
    { id: 3, name: 'Gedung B', total: 20, up: 2, down: 18, unreachable: 0, flapping: 0, unknown: 0, maintenance: 0, state: 'down' },
    { id: 1, name: 'Gedung A', total: 12, up: 11, down: 1, unreachable: 0, flapping: 0, unknown: 0, maintenance: 1, state: 'degraded' }
  ],
  count: 2
}

export const groupsSchema = {
  tags: ['ping'],
  summary: 'Devices counted by location, type or rack, worst first',
  description: 'One entry per location (`by=location`), device type (`type`) or rack (`rack`): the devices by state and the group\'s state. ' +
    'Worst first: by state (down, unreachable, degraded, flapping, up, unknown), then by the share of devices down or unreachable, then by name. ' +
    'Computed at most once per cycle. Cluster mode (CLUSTER_MODE=nats): the whole fleet, from the states its owners publish; `scope=local`: this instance\'s own verdicts (the devices it does not ping count as unknown).',
  querystring: Type.Object({ by: StringEnum(['location', 'type', 'rack'], { default: 'location' }), scope: Scope }, { additionalProperties: false }),
  response: {
    200: Type.Object({ success: Type.Literal(true), by: Type.String(), data: Type.Array(GroupSchema), count: Type.Integer() }, { description: 'Success', examples: [example] }),
    ...errorResponses(400)
  }
}
