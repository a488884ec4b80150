import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { Nullable, StringEnum, errorResponses } from '../../schemas/common.js'

const State = StringEnum(['unknown', 'up', 'down', 'flapping'])

export const EventSchema = Type.Object({
  at: Type.String({ description: 'ISO 8601, local time with milliseconds and UTC offset: the result that caused the change' }),
  device_id: Type.Integer(),
  ip_address: Type.String(),
  hostname: Type.String(),
  from: State,
  to: State,
  reason: Type.String()
})

const EXAMPLE = {
  success: true,
  hours: 24,
  device_id: null,
  data: [
    { at: '2026-11-25T17:09:12.301+07:00', device_id: 4, ip_address: '10.0.0.4', hostname: 'core-switch', from: 'down', to: 'up', reason: '2 replies in a row' },
    { at: '2026-11-25T17:04:05.123+07:00', device_id: 4, ip_address: '10.0.0.4', hostname: 'core-switch', from: 'up', to: 'down', reason: '3 failed pings in a row; last error: No response (timeout)' }
  ],
  count: 2
}

// kept beside its route (as health.ts does) while src/schemas/ping.ts belongs to the history work
export const eventsSchema = {
  tags: ['ping'],
  summary: 'Device state changes in the window, newest first',
  description: 'Every change of a device\'s state (unknown, up, down, flapping) in the last `hours`, newest first, for all devices ' +
    'or one (`device_id`); `limit` keeps the newest. A device is down after DOWN_AFTER_FAILURES failed pings in a row and up ' +
    'again after UP_AFTER_SUCCESSES replies; flapping after FLAP_CHANGES up/down changes within FLAP_WINDOW results. ' +
    'Read from CSV_OUTPUT_DIR/state_events_YYYYMMDD.csv, so changes from before a restart are included.',
  querystring: Type.Object({
    hours: Type.Number({ exclusiveMinimum: 0, maximum: 8760, default: 24, description: 'window in hours back from now (decimals allowed)' }),
    device_id: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
    limit: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000, description: 'at most this many events, the newest' })
  }, { additionalProperties: false }),
  response: {
    200: Type.Object({
      success: Type.Literal(true),
      hours: Type.Number(),
      device_id: Nullable(Type.Integer()),
      data: Type.Array(EventSchema),
      count: Type.Integer()
    }, { description: 'The state changes, newest first', examples: [EXAMPLE] }),
    ...errorResponses(400)
  }
}

const eventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/events', { schema: eventsSchema }, async (request) => {
    const { hours, device_id, limit } = request.query
    const now = Date.now()
    const events = await app.deviceState.events(now - hours * 3_600_000, now, device_id)
    const data = events.slice(-limit).reverse()
    return { success: true as const, hours, device_id: device_id ?? null, data, count: data.length }
  })
}

export default eventRoutes
