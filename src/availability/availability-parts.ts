import { join } from 'node:path'
import type { Alerts } from '../alerts/alerts.js'
import type { MaintenanceWindow } from '../maintenance/maintenance-rule.js'
import type { Config } from '../config/env-schema.js'
import type { InventoryService } from '../inventory/inventory-service.js'
import type { Log } from '../lib/log.js'
import type { Monitor } from '../monitor/monitor.js'
import type { Stage } from '../pipeline.js'
import { ReportScheduler } from '../reports/report-scheduler.js'
import { parseReportTimes } from '../reports/report-times.js'
import type { OverdueDevice } from '../reports/shift-report.js'
import type { DeviceStates } from '../state/device-states.js'
import type { CsvWriter } from '../storage/csv-writer.js'
import type { AccountingDeps } from './accounting.js'
import { createAvailability, type Availability } from './availability-service.js'

export interface AvailabilityPartsOptions {
  config: Config
  log: Log
  now: () => number
  inventory: InventoryService
  deviceStates: DeviceStates
  monitor: Monitor
  resultWriter: CsvWriter
  alerts: Alerts
  /** issue 13: maintenance per device (default: none in maintenance) */
  maintenanceOf?: (deviceId: number) => boolean
  /** issue 13: site detection (default: a device that is out is out on its own, `down`) */
  causeOf?: AccountingDeps['causeOf']
  /** issue 13: overdue maintenance for the shift reports (default: none) */
  overdue?: () => OverdueDevice[]
  /** the stored maintenance windows, past ones included: the rebuild from CSV counts their time as maintenance */
  maintenanceWindows?: () => MaintenanceWindow[]
}

export interface AvailabilityParts {
  availability: Availability
  reports: ReportScheduler
  /** after the device state stage (ordered: reads the state it just gave each result) */
  stage: Stage
  /** not ordered: report times are checked on every live cycle, also during the read-back */
  reportStage: Stage
  /** the service's clock (the routes' "now") */
  now: () => number
  start: () => void
  stop: () => Promise<void>
}

export const availabilityFile = (c: Pick<Config, 'AVAILABILITY_FILE' | 'CSV_OUTPUT_DIR'>) =>
  c.AVAILABILITY_FILE === '' ? join(c.CSV_OUTPUT_DIR, 'availability.sqlite') : c.AVAILABILITY_FILE

/** Outages, rollups and shift reports wired to the rest of the service: what src/service.ts adds. */
export function createAvailabilityParts (o: AvailabilityPartsOptions): AvailabilityParts {
  const c = o.config
  const maintenanceOf = o.maintenanceOf ?? (() => false)
  const availability = createAvailability({
    file: availabilityFile(c),
    days: c.AVAILABILITY_DAYS,
    intervalS: c.PING_INTERVAL,
    csvDir: c.CSV_OUTPUT_DIR,
    stateSettings: { downAfterFailures: c.DOWN_AFTER_FAILURES, upAfterSuccesses: c.UP_AFTER_SUCCESSES, flapChanges: c.FLAP_CHANGES, flapWindow: c.FLAP_WINDOW },
    log: o.log,
    now: o.now,
    // in place, no snapshot object per result
    stateOf: (id) => o.deviceStates.view(id),
    maintenanceOf,
    ...(o.causeOf !== undefined ? { causeOf: o.causeOf } : {}),
    ...(o.maintenanceWindows !== undefined ? { maintenanceWindows: o.maintenanceWindows } : {})
  })
  const reports = new ReportScheduler({
    times: parseReportTimes(c.REPORT_TIMES),
    store: () => availability.store,
    flush: () => availability.flush(),
    send: (n) => o.alerts.send([n]),
    now: o.now,
    log: o.log,
    inputs: {
      query: (q) => availability.query(q),
      devices: () => o.inventory.devices().map((d) => {
        const s = o.deviceStates.get(d.device_id)
        return { device_id: d.device_id, hostname: d.hostname, ip_address: d.ip_address, state: s?.state ?? 'unknown', down_since: s?.down_since ?? null, location: d.location, maintenance: maintenanceOf(d.device_id) }
      }),
      overdue: o.overdue ?? (() => []),
      health: () => {
        const m = o.monitor.status()
        const csv = o.resultWriter.status()
        const inv = o.inventory.status()
        return {
          cycles: m.cycles,
          overruns: m.overruns,
          csv: { healthy: csv.healthy, last_error: csv.last_error, dropped_rows: csv.dropped_rows, pending_rows: csv.pending_rows },
          inventory: { healthy: inv.healthy, last_error: inv.last_error, skipped_rows: inv.skipped_rows, devices: inv.devices }
        }
      },
      locationName: (id) => o.inventory.devices().find((d) => d.location.id === id)?.location.name ?? (id === null ? 'Tanpa lokasi' : `Lokasi #${id}`)
    }
  })
  return {
    availability,
    reports,
    stage: availability.stage,
    reportStage: {
      name: 'shift reports',
      cycle: () => { reports.tick().catch(() => {}) },
      // a report owed from while the service was stopped goes out once the states are rebuilt
      replayDone: () => { reports.start().catch(() => {}) }
    },
    now: o.now,
    start: () => availability.start(),
    stop: async () => {
      await reports.idle()
      await availability.close()
    }
  }
}
