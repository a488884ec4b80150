import { Type } from 'typebox'
import { DeviceId, Nullable, StringEnum, errorResponses } from './common.js'
import { AVAILABILITY_CSV_FIELDS, GROUPS, MAINTENANCE_MODES, WINDOWS } from '../availability/availability-query.js'

/** /api/ping/outages, /availability and /reports: the durable record (src/availability, src/reports). */

const FROM = '2026-11-24T17:00:00.000+07:00'
const TO = '2026-11-25T17:00:00.000+07:00'
const Iso = (description: string) => Type.String({ minLength: 1, maxLength: 64, description })

export const OutageSchema = Type.Object({
  device_id: Type.Integer(),
  location_id: Nullable(Type.Integer()),
  type_id: Nullable(Type.Integer()),
  rack: Nullable(Type.String()),
  start: Type.String({ description: 'first failed ping of the run that made the device down (ISO 8601, local time)' }),
  end: Nullable(Type.String(), { description: 'first reply of the run that made it up again; null while open' }),
  duration_s: Type.Number({ description: 'end (or now) minus start' }),
  open: Type.Boolean(),
  cause: StringEnum(['down', 'site', 'unreachable']),
  maintenance: Type.Boolean({ description: 'some of it fell in the device\'s maintenance' })
})

const outageExample = { device_id: 12, location_id: 3, type_id: 1, rack: 'R2', start: '2026-11-25T09:12:05.004+07:00', end: '2026-11-25T09:22:05.010+07:00', duration_s: 600.006, open: false, cause: 'down', maintenance: false }

export const outagesSchema = (maxHours: number) => ({
  tags: ['availability'],
  summary: 'Outages in the window, newest first',
  description: 'Confirmed down periods of single devices (isolated failures below DOWN_AFTER_FAILURES are none), from the durable record kept AVAILABILITY_DAYS. An outage is in the window when any part of it is; from/to (ISO 8601) take the place of hours.',
  querystring: Type.Object({
    hours: Type.Number({ exclusiveMinimum: 0, maximum: maxHours, default: 24, description: 'window back from now' }),
    from: Type.Optional(Iso('start of the window (ISO 8601); with `to`, instead of hours')),
    to: Type.Optional(Iso('end of the window (ISO 8601); now when left out')),
    device_id: Type.Optional(DeviceId),
    location_id: Type.Optional(DeviceId),
    open: Type.Optional(Type.Boolean({ description: 'true: only open ones; false: only ended ones' })),
    limit: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000 })
  }, { additionalProperties: false }),
  response: {
    200: Type.Object({
      success: Type.Literal(true),
      from: Type.String(),
      to: Type.String(),
      data: Type.Array(OutageSchema),
      count: Type.Integer()
    }, { description: 'The outages, newest first', examples: [{ success: true, from: FROM, to: TO, data: [outageExample], count: 1 }] }),
    ...errorResponses(400)
  }
})

/** the columns `fields=` may name: every entry field (`key` is always there; naming it is allowed) */
export const AVAILABILITY_FIELDS = ['key', ...AVAILABILITY_CSV_FIELDS] as const
const FIELD_NAMES = AVAILABILITY_FIELDS.join('|')

const AvailabilityFieldsSchema = Type.Object({
  devices: Type.Integer(),
  availability_percent: Nullable(Type.Number(), { description: 'up / (up + down), 3 decimals; null with no monitored time' }),
  up_s: Type.Number(),
  down_s: Type.Number(),
  unreachable_s: Type.Number({ description: 'behind a down uplink: reported apart, left out of the availability' }),
  maintenance_s: Type.Number(),
  not_monitored_s: Type.Number({ description: 'window time without results (the service stopped, the device not yet in the inventory)' }),
  outages: Type.Integer(),
  longest_outage_s: Type.Number(),
  mttr_s: Nullable(Type.Number(), { description: 'mean outage duration' }),
  mtbf_s: Nullable(Type.Number(), { description: 'up time / outages' }),
  p50_ms: Nullable(Type.Number()),
  p95_ms: Nullable(Type.Number())
})

/**
 * One entry: its key and the fields asked for (all of them when `fields` is not given). The fields are
 * optional in the schema only because `fields=` may leave them out; without it every one is there.
 */
export const AvailabilityEntrySchema = Type.Object({
  key: Type.Union([Type.Integer(), Type.String(), Type.Null()], { description: 'the device id, location id, type id or rack of this entry (null: none in the inventory)' }),
  ...Type.Partial(AvailabilityFieldsSchema).properties
})

const entryExample = { key: 3, devices: 40, availability_percent: 99.306, up_s: 3_431_400, down_s: 24_000, unreachable_s: 0, maintenance_s: 0, not_monitored_s: 600, outages: 4, longest_outage_s: 600, mttr_s: 600, mtbf_s: 857_850, p50_ms: 1.29, p95_ms: 5.28 }

export const availabilitySchema = (maxDays: number) => ({
  tags: ['availability'],
  summary: 'Availability per device, location, type or rack',
  description: `Time-based availability over whole hours (the hours that hold the window), from the hourly rollups kept AVAILABILITY_DAYS (${maxDays}). window slides and ends now; or from/to (ISO 8601). maintenance: exclude (default) leaves maintenance time out, include counts it as up, down as down. format=csv gives the same entries as CSV with a header.`,
  querystring: Type.Object({
    window: Type.Optional(StringEnum(Object.keys(WINDOWS) as Array<keyof typeof WINDOWS>, { description: 'a window ending now (24h when neither window nor from is given)' })),
    from: Type.Optional(Iso('start (ISO 8601), instead of window')),
    to: Type.Optional(Iso('end (ISO 8601); now when left out')),
    group_by: StringEnum(GROUPS, { default: 'device' }),
    device_id: Type.Optional(DeviceId),
    location_id: Type.Optional(DeviceId),
    maintenance: StringEnum(MAINTENANCE_MODES, { default: 'exclude' }),
    format: StringEnum(['json', 'csv'] as const, { default: 'json' }),
    // a comma-separated list checked by the schema (an unknown name is a 400 naming the pattern), so
    // a dashboard showing one column downloads one column: 10,000 device entries of all 14 fields are
    // 2.2 MB (15.5 KB brotli-coded on the bench's seeded store), of key and availability_percent
    // 392 KB (10.4 KB); real, less regular figures compress less (npm run bench:api -- --only levels)
    fields: Type.Optional(Type.String({
      pattern: `^(?:${FIELD_NAMES})(?:,(?:${FIELD_NAMES}))*$`,
      maxLength: 512,
      description: `only these fields of each entry, comma-separated (default: all; \`key\` is always there): ${AVAILABILITY_FIELDS.join(', ')}; in the CSV form too`
    }))
  }, { additionalProperties: false }),
  response: {
    200: Type.Object({
      success: Type.Literal(true),
      from: Type.String(),
      to: Type.String(),
      group_by: StringEnum(GROUPS),
      maintenance: StringEnum(MAINTENANCE_MODES),
      data: Type.Array(AvailabilityEntrySchema),
      count: Type.Integer()
    }, { description: 'One entry per device or group, by key', examples: [{ success: true, from: FROM, to: TO, group_by: 'location', maintenance: 'exclude', data: [entryExample], count: 1 }] }),
    ...errorResponses(400)
  }
})

export const ReportSchema = Type.Object({
  slot: Type.String({ description: 'the report time it is for' }),
  at: Type.String({ description: 'when it was made and sent' }),
  late: Type.Boolean({ description: 'made at start for a report time missed while the service was stopped' }),
  period_from: Type.String(),
  period_to: Type.String(),
  title: Type.String(),
  text: Type.String(),
  figures: Type.Object({}, { additionalProperties: true })
})

export const reportsSchema = {
  tags: ['availability'],
  summary: 'Shift reports sent, newest first',
  description: 'The reports made at REPORT_TIMES (and late ones for times missed while stopped), with the text sent to the alert receivers and the figures beside it.',
  querystring: Type.Object({
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 20 })
  }, { additionalProperties: false }),
  response: {
    200: Type.Object({
      success: Type.Literal(true),
      data: Type.Array(ReportSchema),
      count: Type.Integer()
    }, { description: 'The reports, newest first', examples: [{ success: true, data: [{ slot: TO, at: TO, late: false, period_from: FROM, period_to: TO, title: 'Shift report 2026-11-24T17:00 – 2026-11-25T17:00', text: 'Shift report ...', figures: { outages: { count: 0 } } }], count: 1 }] }),
    ...errorResponses(400)
  }
}
