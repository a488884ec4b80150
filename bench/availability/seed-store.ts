import { rmSync, statSync } from 'node:fs'
import { AvailabilityStore, DAY_MS, GROUPS_META } from '../../src/availability/availability-store.js'
import { HOUR_MS, type Rollup } from '../../src/availability/accounting.js'
import { RTT_BINS } from '../../src/availability/rtt-bins.js'

export interface SeedOptions {
  file: string
  devices: number
  locations: number
  days: number
  endMs: number
  /** hourly rows for the whole span (true) or only for the first and the last two days, which are what a window of `days` reads besides the daily table */
  allHours: boolean
}

function row (hour: number, id: number, locations: number, scale: number): Rollup {
  const hist = new Uint32Array(RTT_BINS)
  hist[8 + (id % 5)] = 700 * scale
  hist[14] = 20 * scale
  const down = id % 50 === 0 ? 300 * scale : 0
  return { hour, device_id: id, location_id: id % locations, type_id: id % 7, rack: `R${id % 40}`, up_s: 3600 * scale - down, down_s: down, unreachable_s: 0, maintenance_s: 0, sent: 720 * scale, answered: 720 * scale - down / 5, rtt_sum: 720 * scale * 1.3, rtt_min: 0.4, rtt_max: 12, hist }
}

/**
 * A synthetic availability store: every device up but every 50th down 5 minutes an hour, in
 * `locations` locations. The daily table is written directly (one row per device and day, what the
 * service's flushes add up to), the hourly one as asked, and the group rows of both from them.
 * Marks the store flushed up to endMs, so a service started on it rebuilds nothing from CSV.
 */
export function seedStore (o: SeedOptions): { seconds: number, bytes: number } {
  const t0 = Date.now()
  for (const suffix of ['', '-wal', '-shm']) rmSync(o.file + suffix, { force: true })
  const store = new AvailabilityStore(o.file)
  const endHour = Math.floor(o.endMs / HOUR_MS) * HOUR_MS
  const startHour = endHour - o.days * DAY_MS
  const db = store.db as any
  const hourly = db.prepare(`INSERT INTO rollups (hour, device_id, location_id, type_id, rack, up_s, down_s, unreachable_s, maintenance_s, sent, answered, rtt_sum, rtt_min, rtt_max, ${Array.from({ length: RTT_BINS }, (_, i) => `h${i}`).join(', ')}) VALUES (${Array(14 + RTT_BINS).fill('?').join(', ')})`)
  const daily = db.prepare(hourly.source.replace('INTO rollups (hour', 'INTO rollups_daily (day'))
  const values = (key: number, r: Rollup) => [key, r.device_id, r.location_id, r.type_id, r.rack, r.up_s, r.down_s, r.unreachable_s, r.maintenance_s, r.sent, r.answered, r.rtt_sum, r.rtt_min, r.rtt_max, ...r.hist]
  const firstDay = Math.floor(startHour / DAY_MS) * DAY_MS
  for (let day = firstDay; day <= endHour; day += DAY_MS) {
    db.transaction(() => {
      for (let id = 1; id <= o.devices; id++) daily.run(...values(day, row(day, id, o.locations, 24)))
      const edge = day < startHour + 2 * DAY_MS || day > endHour - 3 * DAY_MS
      if (o.allHours || edge) {
        for (let h = day; h < day + DAY_MS && h <= endHour; h += HOUR_MS) {
          if (h < startHour) continue
          for (let id = 1; id <= o.devices; id++) hourly.run(...values(h, row(h, id, o.locations, 1)))
        }
      }
    })()
  }
  // the location, type and rack rows, made from the device rows as the service's flushes make them
  const spans = store.storedSpans()
  for (const h of spans.hours) store.regroup('hour', h)
  for (const d of spans.days) store.regroup('day', d)
  store.setMeta(GROUPS_META, '1')
  store.setMeta('flushed_until', String(o.endMs))
  store.setMeta('last_seen', String(o.endMs))
  store.db.pragma('wal_checkpoint(TRUNCATE)')
  store.close()
  return { seconds: (Date.now() - t0) / 1000, bytes: statSync(o.file).size }
}
