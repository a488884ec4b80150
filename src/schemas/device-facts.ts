import { Type, type Static } from 'typebox'
import { Nullable } from './common.js'

/** What the inventory says about a device beside its address: carried by every device row of the API. */

export const NamedRefSchema = Type.Object({
  id: Nullable(Type.Integer()),
  name: Type.String()
})

export const MaintenanceSchema = Type.Object({
  active: Type.Boolean({ description: 'in maintenance now: no alerts are sent for it' }),
  // null must be in the enum too: Nullable widens only the type, and an enum without null refuses it
  source: Type.Unsafe<'kondisi' | 'window' | null>({ type: ['string', 'null'], enum: ['kondisi', 'window', null], description: "'kondisi': the inventory says maintenance; 'window': a window made through /api/maintenance; null when not in maintenance" }),
  until: Nullable(Type.String(), { description: 'end of the maintenance (ISO 8601, local time); null when open-ended' }),
  overdue: Type.Boolean({ description: 'kondisi still says maintenance but tenggat_maintenance has passed' })
})
export type MaintenanceStatus = Static<typeof MaintenanceSchema>
export const NOT_IN_MAINTENANCE: MaintenanceStatus = { active: false, source: null, until: null, overdue: false }

export const DeviceFactsFields = {
  location: NamedRefSchema,
  rack: Nullable(Type.String()),
  type: NamedRefSchema,
  kondisi: Type.String(),
  maintenance: MaintenanceSchema
}
export const DeviceFactsSchema = Type.Object(DeviceFactsFields)
export type DeviceFacts = Static<typeof DeviceFactsSchema>
