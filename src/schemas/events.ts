import { Type } from 'typebox'
import { DeviceId, DeviceStateEnum, Nullable, errorResponses } from './common.js'
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

export const eventsSchema = {
  tags: ['ping'],
  summary: 'Device state changes in the window, newest first',
  description: docs.events.description,
  querystring: Type.Object({
    hours: Type.Number({ exclusiveMinimum: 0, maximum: 8760, default: 24, description: 'window in hours back from now (decimals allowed)' }),
    device_id: Type.Optional(DeviceId),
    limit: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000, description: 'at most this many events, the newest' })
  }, { additionalProperties: false }),
  response: {
    200: Type.Object({
      success: Type.Literal(true),
      hours: Type.Number(),
      device_id: Nullable(Type.Integer()),
      data: Type.Array(EventSchema),
      count: Type.Integer()
    }, answer(docs.events, 'The state changes, newest first')),
    ...errorResponses(400)
  }
}
