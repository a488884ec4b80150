import type { Device } from '../inventory/filter-inventory.js'
import type { DeviceFacts, MaintenanceStatus } from '../schemas/device-facts.js'

export type MaintenanceOf = (device: Device) => MaintenanceStatus

/** What every device row of the API carries beside its address (src/schemas/device-facts.ts). */
export function deviceFacts (d: Device, maintenanceOf: MaintenanceOf): DeviceFacts {
  return { location: d.location, rack: d.rack, type: d.type, kondisi: d.kondisi, maintenance: maintenanceOf(d) }
}
