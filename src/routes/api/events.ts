import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Static } from 'typebox'
import { NO_LOCATION, NO_TYPE } from '../../inventory/filter-inventory.js'
import { NOT_IN_MAINTENANCE } from '../../schemas/device-facts.js'
import type { ApiEventSchema } from '../../schemas/events.js'
import { eventsSchema } from '../../schemas/events.js'
import { deviceFacts } from '../../sites/device-facts.js'

type ApiEvent = Static<typeof ApiEventSchema>
const NO_FACTS = { location: NO_LOCATION, rack: null, type: NO_TYPE, kondisi: '', maintenance: NOT_IN_MAINTENANCE }

const eventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/events', { schema: eventsSchema, config: { cachePerCycle: true } }, async (request) => {
    const { hours, device_id, location_id, kind, limit } = request.query
    const now = Date.now()
    const from = now - hours * 3_600_000
    const out: Array<ApiEvent & { ms: number }> = []
    if (kind !== 'site') {
      // facts per event (not per device): one map lookup each
      for (const e of await app.deviceState.events(from, now, device_id)) {
        const d = app.sites.device(e.device_id)
        if (location_id !== undefined && d?.location.id !== location_id) continue
        const facts = d === undefined ? NO_FACTS : deviceFacts(d, app.sites.maintenanceOf)
        out.push({ kind: 'device', ...e, ...facts, total: null, down: null, ms: Date.parse(e.at) })
      }
    }
    if (kind !== 'device' && device_id === undefined) {
      for (const s of await app.sites.eventLog.events(from, now)) {
        if (location_id !== undefined && s.location_id !== location_id) continue
        const down = s.event === 'site_down'
        out.push({
          kind: 'site',
          at: s.at,
          device_id: null,
          ip_address: '',
          hostname: s.location_name,
          from: down ? 'up' : 'down',
          to: down ? 'down' : 'up',
          reason: s.reason,
          ...NO_FACTS,
          location: { id: s.location_id, name: s.location_name },
          total: s.total,
          down: s.down,
          ms: Date.parse(s.at)
        })
      }
    }
    // stable: a site change sorts after the device changes of the same instant that caused it
    out.sort((a, b) => a.ms - b.ms)
    const data = out.slice(-limit).reverse()
    return { success: true as const, hours, device_id: device_id ?? null, data, count: data.length }
  })
}

export default eventRoutes
