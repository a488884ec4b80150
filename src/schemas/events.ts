import { Type } from 'typebox'
import { DeviceId, DeviceStateEnum, Nullable, StringEnum, errorResponses } from './common.js'
import { DeviceFactsFields } from './device-facts.js'
import { answer, docs } from './examples.js'

/** /api/ping/events: the device state changes, read back from the state event files. */

const State = DeviceStateEnum()

export const EventSchema = Type.Object({
  at: Type.String({ description: 'ISO 8601, local time with milliseconds and UTC offset: the result that caused the change' }),
  device_id: Type.Integer(),
  ip_address: Type.String(),
  hostname: Type.String(),
  from: State,
  to: State,
  reason: Type.String()
})

/**
 * An entry of /api/ping/events: a device's state change (`kind: 'device'`, with the device's facts as
 * the inventory has them now) or a location's (`kind: 'site'`: device_id null, hostname the location's
 * name, from/to up or down, total/down its devices).
 */
export const ApiEventSchema = Type.Object({
  kind: StringEnum(['device', 'site']),
  ...EventSchema.properties,
  device_id: Nullable(Type.Integer()),
  ...DeviceFactsFields,
  total: Nullable(Type.Integer(), { description: 'site: devices of the location not in maintenance' }),
  down: Nullable(Type.Integer(), { description: 'site: how many of them were down' })
})

export const eventsSchema = {
  tags: ['ping'],
  summary: 'Device state changes in the window, newest first',
  description: docs.events.description,
  querystring: Type.Object({
    hours: Type.Number({ exclusiveMinimum: 0, maximum: 8760, default: 24, description: 'window in hours back from now (decimals allowed)' }),
    device_id: Type.Optional(DeviceId),
    location_id: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'only this location: its site changes and the changes of its devices now' })),
    kind: Type.Optional(StringEnum(['device', 'site'])),
    limit: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000, description: 'at most this many events, the newest' })
  }, { additionalProperties: false }),
  response: {
    200: Type.Object({
      success: Type.Literal(true),
      hours: Type.Number(),
      device_id: Nullable(Type.Integer()),
      data: Type.Array(ApiEventSchema),
      count: Type.Integer()
    }, answer(docs.events, 'The state changes, newest first')),
    ...errorResponses(400)
  }
}
