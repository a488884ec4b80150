import { Type, type Static } from 'typebox'
import { DeviceId, Nullable, errorResponses } from './common.js'
import { MaintenanceSchema } from './device-facts.js'

/** /api/maintenance: maintenance windows made by operators, and the devices in maintenance now. */

export const SCOPE_IDS_MAX = 10_000
export const REASON_MAX = 500
/** an ISO 8601 text is never longer than this; longer is refused before it is parsed */
const DATE_MAX = 40
/** a window of at most a year: a longer one is a forgotten "always off", not maintenance */
export const DURATION_MINUTES_MAX = 366 * 24 * 60

const Ids = (what: string) => Type.Array(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), { minItems: 1, maxItems: SCOPE_IDS_MAX, uniqueItems: true, description: `${what} (1 to ${SCOPE_IDS_MAX})` })

export const WindowScopeSchema = Type.Union([
  Type.Literal('all', { description: 'every monitored device' }),
  Type.Object({ device_ids: Ids('inventaris ids') }, { additionalProperties: false }),
  Type.Object({ location_ids: Ids('id_lokasi values') }, { additionalProperties: false }),
  Type.Object({ type_ids: Ids('jenis_barang_id values') }, { additionalProperties: false })
], { description: '"all", or one of device_ids, location_ids, type_ids with a non-empty list' })
export type WindowScope = Static<typeof WindowScopeSchema>

const IsoText = (description: string) => Type.String({ minLength: 1, maxLength: DATE_MAX, description })

/** The body of POST /api/maintenance: checked strictly (unknown fields are refused, nothing is coerced). */
export const WindowRequestSchema = Type.Object({
  scope: WindowScopeSchema,
  start: Type.Optional(IsoText('ISO 8601, e.g. 2026-12-02T22:00:00+07:00 (no offset: local time); default now')),
  end: Type.Optional(IsoText('ISO 8601; give end or duration_minutes, not both')),
  duration_minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: DURATION_MINUTES_MAX, description: 'instead of end' })),
  reason: Type.String({ minLength: 1, maxLength: REASON_MAX, description: `why (1 to ${REASON_MAX} characters)` })
}, { additionalProperties: false })
export type WindowRequest = Static<typeof WindowRequestSchema>

export const WindowSchema = Type.Object({
  id: Type.Integer(),
  scope: WindowScopeSchema,
  start: Type.String({ description: 'ISO 8601, local time' }),
  end: Type.String({ description: 'ISO 8601, local time (exclusive)' }),
  reason: Type.String(),
  created_at: Type.String(),
  ended_at: Nullable(Type.String(), { description: 'when DELETE ended it early' }),
  active: Type.Boolean({ description: 'start <= now < end' })
})
export type WindowView = Static<typeof WindowSchema>

const DeviceInMaintenanceSchema = Type.Object({
  device_id: Type.Integer(),
  ip_address: Type.String(),
  hostname: Type.String(),
  maintenance: MaintenanceSchema
})

export const MaintenanceSummarySchema = Type.Object({
  active_windows: Type.Integer(),
  future_windows: Type.Integer(),
  devices_in_maintenance: Type.Integer({ description: 'by kondisi or by a window, overdue ones included' }),
  by_kondisi: Type.Integer(),
  by_window: Type.Integer({ description: 'in maintenance only through a window' }),
  overdue: Type.Integer({ description: 'kondisi still says maintenance after tenggat_maintenance' })
})
export type MaintenanceSummary = Static<typeof MaintenanceSummarySchema>

const AT = '2026-12-02T21:55:00.000+07:00'
const windowExample = { id: 3, scope: { device_ids: [12, 13] }, start: '2026-12-02T22:00:00.000+07:00', end: '2026-12-03T02:00:00.000+07:00', reason: 'core switch firmware upgrade', created_at: AT, ended_at: null, active: false }
const summaryExample = { active_windows: 0, future_windows: 1, devices_in_maintenance: 1, by_kondisi: 1, by_window: 0, overdue: 1 }
export const maintenanceExamples = { window: windowExample, summary: summaryExample }

const ACCESS = 'Needs `Authorization: Bearer <API_KEY>` when API_KEY is set, else answers loopback clients only (403 otherwise).'

export const createWindowSchema = {
  tags: ['maintenance'],
  summary: 'Make a maintenance window: no alerts for its devices while it lasts',
  description: 'A window covers `scope` ("all", or `device_ids`, `location_ids` or `type_ids`) from `start` (default now) to `end`, ' +
    'or for `duration_minutes`. Its devices are still pinged, written and shown; no alert is sent for them. When it ends, a device ' +
    'that is down then gets one down alert, unless it was alerted down before the window began. Kept on disk (MAINTENANCE_FILE). ' +
    'Bad input is a 400 and stores nothing. ' + ACCESS,
  security: [{ bearerAuth: [] }],
  body: WindowRequestSchema,
  response: {
    201: Type.Object({ success: Type.Literal(true), data: WindowSchema }, { description: 'Stored', examples: [{ success: true, data: windowExample }] }),
    ...errorResponses(400, 401, 403, 429, 503)
  }
}

export const listWindowsSchema = {
  tags: ['maintenance'],
  summary: 'Active and future maintenance windows, and who is in maintenance now',
  description: 'The windows that have not ended, soonest first, with counts of the devices in maintenance now (by kondisi = maintenance ' +
    'or by a window) and the overdue ones (kondisi still maintenance after tenggat_maintenance); `devices` lists up to 1000 of them.',
  response: {
    200: Type.Object({
      success: Type.Literal(true),
      data: Type.Object({
        windows: Type.Array(WindowSchema),
        summary: MaintenanceSummarySchema,
        devices: Type.Array(DeviceInMaintenanceSchema),
        devices_omitted: Type.Integer()
      })
    }, {
      description: 'Success',
      examples: [{
        success: true,
        data: {
          windows: [windowExample],
          summary: summaryExample,
          devices: [{ device_id: 7, ip_address: '10.0.2.7', hostname: 'printer-b2', maintenance: { active: true, source: 'kondisi', until: '2026-12-01T23:59:59.999+07:00', overdue: true } }],
          devices_omitted: 0
        }
      }]
    })
  }
}

export const endWindowSchema = {
  tags: ['maintenance'],
  summary: 'End (or cancel) a maintenance window now',
  description: 'Ends an active window now, or cancels a future one. Its devices that are down now get a down alert (see POST). ' +
    '404 for an id that is unknown or already over. ' + ACCESS,
  security: [{ bearerAuth: [] }],
  params: Type.Object({ id: DeviceId }),
  response: {
    200: Type.Object({ success: Type.Literal(true), data: WindowSchema }, { description: 'Ended', examples: [{ success: true, data: { ...windowExample, end: AT, ended_at: AT } }] }),
    ...errorResponses(400, 401, 403, 404, 429, 503)
  }
}
