import { Type, type Static } from 'typebox'
import { DeviceStateEnum, Nullable, NullableMs, ResultRowSchema, errorResponses } from './common.js'
import { DeviceFactsFields } from './device-facts.js'
import { answer, docs } from './examples.js'

/** /api/ping/latest and /api/ping/status: the latest result of each device, served from memory. */

/** cluster mode: `fleet` (default) answers for every device of the fleet, `local` for this instance's own */
export const Scope = Type.Optional(Type.Union([Type.Literal('fleet'), Type.Literal('local')], { description: 'cluster mode (CLUSTER_MODE=nats): fleet (default) = every device of the fleet with its owner; local = the devices this instance pings. Static mode: always local.' }))
const Owner = Type.Optional(Type.String({ description: 'cluster mode: INSTANCE_ID of the instance that pinged the device' }))
/** ?location_id= and ?type_id=: only the devices of that location / type (inventory ids). */
export const FactFilters = {
  location_id: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'only devices of this location (id_lokasi)' })),
  type_id: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'only devices of this type (jenis_barang_id)' }))
}
export interface FactFilter { location_id?: number, type_id?: number }

export const LatestRowSchema = Type.Object({ ...ResultRowSchema.properties, ...DeviceFactsFields, owner: Owner })
export type LatestRow = Static<typeof LatestRowSchema>

export const latestSchema = {
  tags: ['ping'],
  summary: 'Latest result of each monitored device, newest first',
  description: docs.latest.description,
  querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 10000, default: 100 }), ...FactFilters, scope: Scope }, { additionalProperties: false }),
  response: {
    200: Type.Object({ success: Type.Literal(true), data: Type.Array(LatestRowSchema), count: Type.Integer() }, answer(docs.latest)),
    ...errorResponses(400)
  }
}

const LastSeen = Nullable(Type.String(), { description: 'last successful ping, null if never' })
const DeviceStateFields = {
  state: DeviceStateEnum({
    description: 'down after DOWN_AFTER_FAILURES failed pings in a row, up again after UP_AFTER_SUCCESSES replies; flapping after FLAP_CHANGES up/down changes in FLAP_WINDOW results'
  }),
  consecutive_failures: Type.Integer({ description: 'failed pings in a row, 0 after a reply' }),
  down_since: Nullable(Type.String(), { description: 'first failed ping of the current outage; null when not down' })
}
/** What the device state tracker believes about a device (its last ping alone may say otherwise). */
export const DeviceStateSummarySchema = Type.Object(DeviceStateFields)
export const OnlineDeviceSchema = Type.Object({ device_id: Type.Integer(), ip_address: Type.String(), hostname: Type.String(), last_seen: LastSeen, response_time_ms: NullableMs, ...DeviceStateFields, ...DeviceFactsFields, owner: Owner })
export const OfflineDeviceSchema = Type.Object({ device_id: Type.Integer(), ip_address: Type.String(), hostname: Type.String(), last_seen: LastSeen, error_message: Type.String(), ...DeviceStateFields, ...DeviceFactsFields, owner: Owner })

export const StatusDataSchema = Type.Object({
  total_devices: Type.Integer(),
  online_devices: Type.Integer(),
  offline_devices: Type.Integer(),
  pending_devices: Type.Integer({ description: 'monitored devices without a result yet' }),
  states: Type.Object({
    up: Type.Integer(),
    down: Type.Integer(),
    unreachable: Type.Integer({ description: 'down behind the down uplinks of their location: not alerted, counted apart from down' }),
    flapping: Type.Integer(),
    unknown: Type.Integer()
  }, { description: 'the monitored devices by state' }),
  devices: Type.Object({
    online: Type.Array(OnlineDeviceSchema),
    offline: Type.Array(OfflineDeviceSchema)
  }, { description: 'online/offline by the last ping; `state` is the debounced verdict (one lost ping does not make a device down)' })
})

export type DeviceStateSummary = Static<typeof DeviceStateSummarySchema>
export type OnlineDevice = Static<typeof OnlineDeviceSchema>
export type OfflineDevice = Static<typeof OfflineDeviceSchema>
export type StatusData = Static<typeof StatusDataSchema>

export const statusSchema = {
  tags: ['ping'],
  summary: 'Online and offline devices',
  description: docs.status.description,
  querystring: Type.Object({ ...FactFilters, scope: Scope }, { additionalProperties: false }),
  response: {
    200: Type.Object({
      success: Type.Literal(true),
      data: StatusDataSchema
    }, answer(docs.status))
  }
}
