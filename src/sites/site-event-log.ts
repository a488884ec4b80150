import { createReadStream } from 'node:fs'
import Papa from 'papaparse'
import type { SiteNotice } from '../alerts/notice.js'
import { formatLocalIso } from '../lib/local-time.js'
import type { Log } from '../lib/log.js'
import { listDatedFilesCovering } from '../storage/csv-files.js'
import { CsvWriter } from '../storage/csv-writer.js'
import { cleanCsvText } from '../storage/result-row.js'

/**
 * Site changes are stored in their own site_events_YYYYMMDD.csv beside state_events_YYYYMMDD.csv:
 * a site is not a device, and the device event files (and every reader of them) stay as they were.
 */
export interface SiteEventRow {
  at: string
  location_id: number
  location_name: string
  event: 'site_down' | 'site_up'
  /** devices of the location not in maintenance */
  total: number
  down: number
  reason: string
}

export const SITE_EVENT_COLUMNS = ['at', 'location_id', 'location_name', 'event', 'total', 'down', 'reason'] as const
export const SITE_EVENT_PREFIX = 'site_events'
const NAMES_MAX = 10

export function siteReason (n: SiteNotice): string {
  const names = n.devices.slice(0, NAMES_MAX).map((d) => d.hostname).join(', ') + (n.devices.length > NAMES_MAX ? ` and ${n.devices.length - NAMES_MAX} more` : '')
  if (n.event === 'site_down') return `${n.location.name} down: ${n.down} of ${n.total} devices`
  return `${n.location.name} back` + (n.devices.length === 0 ? '' : `; still down: ${names}`)
}

export function toSiteEventRow (n: SiteNotice): SiteEventRow {
  return { at: formatLocalIso(n.at), location_id: n.location.id ?? -1, location_name: n.location.name, event: n.event, total: n.total, down: n.down, reason: siteReason(n) }
}

function formatSiteRows (rows: SiteEventRow[]): string {
  if (rows.length === 0) return ''
  const data = rows.map((r) => [r.at, String(r.location_id), cleanCsvText(r.location_name), r.event, String(r.total), String(r.down), cleanCsvText(r.reason)])
  return Papa.unparse(data, { header: false, newline: '\n', quotes: false }) + '\n'
}

export function parseSiteRecord (rec: string[]): SiteEventRow | null {
  if (rec.length !== SITE_EVENT_COLUMNS.length) return null
  const [at, id, name, event, total, down, reason] = rec
  const n = [Number(id), Number(total), Number(down)]
  if (!n.every(Number.isSafeInteger) || (event !== 'site_down' && event !== 'site_up') || Number.isNaN(Date.parse(at))) return null
  return { at, location_id: n[0], location_name: name, event, total: n[1], down: n[2], reason }
}

/** The site event files: the result files' single-writer machinery, read back for /api/ping/events. */
export class SiteEventLog {
  private readonly writer: CsvWriter<SiteEventRow>

  constructor (private readonly opts: { dir: string, retentionDays: number, log: Log }) {
    this.writer = new CsvWriter<SiteEventRow>({
      dir: opts.dir,
      prefix: SITE_EVENT_PREFIX,
      header: SITE_EVENT_COLUMNS.join(',') + '\n',
      format: formatSiteRows,
      what: 'site event',
      maxRecords: 0,
      retentionDays: opts.retentionDays,
      bufferMaxRows: 10_000,
      log: opts.log
    })
  }

  write (notices: SiteNotice[]): Promise<void> {
    return this.writer.write(notices.map((n) => ({ row: toSiteEventRow(n), at: n.at })))
  }

  /** Stored site changes in [fromMs, toMs], oldest first, including any not written yet. */
  async events (fromMs: number, toMs: number): Promise<SiteEventRow[]> {
    await this.writer.settled()
    const out: SiteEventRow[] = []
    for (const f of await listDatedFilesCovering(this.opts.dir, SITE_EVENT_PREFIX, fromMs, toMs)) {
      await new Promise<void>((resolve, reject) => {
        const stream = createReadStream(f.path, 'utf8')
        stream.on('error', (err: NodeJS.ErrnoException) => err.code === 'ENOENT' ? resolve() : reject(err))
        Papa.parse<string[]>(stream as any, {
          skipEmptyLines: true,
          step: (res) => {
            const row = parseSiteRecord(res.data)
            if (row === null) return // the header, or a malformed line
            const at = Date.parse(row.at)
            if (at >= fromMs && at <= toMs) out.push(row)
          },
          complete: () => resolve(),
          error: (err: Error) => reject(err)
        })
      })
    }
    for (const row of this.writer.unwritten()) {
      const at = Date.parse(row.at)
      if (at >= fromMs && at <= toMs) out.push(row)
    }
    return out
  }

  async close (): Promise<void> {
    await this.writer.close()
  }
}
