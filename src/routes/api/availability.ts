import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Papa from 'papaparse'
import { AVAILABILITY_CSV_FIELDS, WINDOWS, groupColumn, type AvailabilityEntry } from '../../availability/availability-query.js'
import type { Outage } from '../../availability/accounting.js'
import { BadWindow } from '../../errors.js'
import { formatLocalIso } from '../../lib/local-time.js'
import { availabilitySchema, outagesSchema, reportsSchema } from '../../schemas/availability.js'

const HOUR = 3_600_000

/** [from, to] of from/to strings (ISO 8601), checked: both instants, from before to, within the kept days. */
function parseRange (from: string, to: string | undefined, now: number, maxDays: number): { from: number, to: number } {
  const f = Date.parse(from)
  const t = to === undefined ? now : Date.parse(to)
  if (Number.isNaN(f)) throw new BadWindow(`from is not an ISO 8601 time: ${from}`)
  if (Number.isNaN(t)) throw new BadWindow(`to is not an ISO 8601 time: ${String(to)}`)
  if (f >= t) throw new BadWindow('from must be before to')
  if (t - f > maxDays * 24 * HOUR) throw new BadWindow(`at most AVAILABILITY_DAYS = ${maxDays} days`)
  return { from: f, to: t }
}

type Field = typeof AVAILABILITY_CSV_FIELDS[number]

/** the `fields=` list (the schema has checked every name), in the order of the full entry; all when not given */
function fieldsOf (list: string | undefined): readonly Field[] {
  if (list === undefined) return AVAILABILITY_CSV_FIELDS
  const asked = new Set(list.split(','))
  return AVAILABILITY_CSV_FIELDS.filter((f) => asked.has(f))
}

function pick (e: AvailabilityEntry, fields: readonly Field[]): Partial<AvailabilityEntry> & Pick<AvailabilityEntry, 'key'> {
  const out: Partial<AvailabilityEntry> & Pick<AvailabilityEntry, 'key'> = { key: e.key }
  for (const f of fields) (out as Record<string, unknown>)[f] = e[f]
  return out
}

const outageRow = (o: Outage, now: number) => ({
  device_id: o.device_id,
  location_id: o.location_id,
  type_id: o.type_id,
  rack: o.rack,
  start: formatLocalIso(o.start),
  end: o.end === null ? null : formatLocalIso(o.end),
  duration_s: Math.round(((o.end ?? now) - o.start)) / 1000,
  open: o.end === null,
  cause: o.cause,
  maintenance: o.maintenance
})

const availabilityRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const parts = app.service.availability
  const maxDays = app.config.AVAILABILITY_DAYS

  // kept per cycle and per write of outages (an outage begun or ended shows at once, flush or not)
  app.get('/outages', { schema: outagesSchema(maxDays * 24), config: { cachePerCycle: true, cacheVersion: () => parts.availability.outagesVersion() } }, async (request) => {
    const q = request.query
    const now = parts.now()
    if (q.to !== undefined && q.from === undefined) throw new BadWindow('to needs from')
    const w = q.from !== undefined ? parseRange(q.from, q.to, now, maxDays) : { from: now - q.hours * HOUR, to: now }
    const data = parts.availability.outages({ fromMs: w.from, toMs: w.to, deviceId: q.device_id, locationId: q.location_id, open: q.open, limit: q.limit }).map((o) => outageRow(o, now))
    return { success: true as const, from: formatLocalIso(w.from), to: formatLocalIso(w.to), data, count: data.length }
  })

  // kept as bytes (and gzip/brotli) per cycle and per write of the store, like the other read routes;
  // the CSV form too, with its own content type and file name (the cache keeps both)
  app.get('/availability', { schema: availabilitySchema(maxDays), config: { cachePerCycle: true, cacheVersion: () => parts.availability.version() } }, async (request, reply) => {
    const q = request.query
    const now = parts.now()
    if (q.window !== undefined && q.from !== undefined) throw new BadWindow('give either window or from/to, not both')
    if (q.to !== undefined && q.from === undefined) throw new BadWindow('to needs from')
    let w: { from: number, to: number }
    if (q.from !== undefined) {
      w = parseRange(q.from, q.to, now, maxDays)
    } else {
      const hours = WINDOWS[q.window ?? '24h']
      if (hours > maxDays * 24) throw new BadWindow(`window ${String(q.window)} is longer than AVAILABILITY_DAYS = ${maxDays} days`)
      w = { from: now - hours * HOUR, to: now }
    }
    const answer = await parts.availability.queryAsync({ fromMs: w.from, toMs: w.to, nowMs: now, groupBy: q.group_by, deviceId: q.device_id, locationId: q.location_id, maintenance: q.maintenance })
    const fields = fieldsOf(q.fields)
    if (q.format === 'csv') {
      const header = [groupColumn(q.group_by), ...fields]
      const rows = answer.entries.map((e: AvailabilityEntry) => [e.key, ...fields.map((f) => e[f])])
      reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="availability-${q.group_by}.csv"`)
      // a text body, not the JSON answer the schema describes: sent as it is
      return reply.send((Papa.unparse({ fields: header, data: rows }, { newline: '\n' }) + '\n') as never)
    }
    const data = fields === AVAILABILITY_CSV_FIELDS ? answer.entries : answer.entries.map((e) => pick(e, fields))
    return { success: true as const, from: formatLocalIso(answer.from), to: formatLocalIso(answer.to), group_by: q.group_by, maintenance: q.maintenance, data, count: data.length }
  })

  app.get('/reports', { schema: reportsSchema, config: { cachePerCycle: true, cacheVersion: () => parts.availability.store.reportsAdded } }, async (request) => {
    const data = parts.availability.store.reports(request.query.limit).map((r) => ({
      slot: formatLocalIso(r.slot),
      at: formatLocalIso(r.at),
      late: r.late,
      period_from: formatLocalIso(r.period_from),
      period_to: formatLocalIso(r.period_to),
      title: r.title,
      text: r.text,
      figures: r.figures
    }))
    return { success: true as const, data, count: data.length }
  })
}

export default availabilityRoutes
