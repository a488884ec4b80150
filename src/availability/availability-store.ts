import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import type { Cause, Outage, Rollup } from './accounting.js'
import { HOUR_MS } from './accounting.js'
import { RTT_BINS, binColumns } from './rtt-bins.js'

export const DAY_MS = 24 * HOUR_MS

const FIGURES = ['up_s', 'down_s', 'unreachable_s', 'maintenance_s', 'sent', 'answered', 'rtt_sum']

function rollupTable (name: string, key: string): string {
  return `CREATE TABLE IF NOT EXISTS ${name} (
    ${key} INTEGER NOT NULL, device_id INTEGER NOT NULL, location_id INTEGER, type_id INTEGER, rack TEXT,
    ${FIGURES.map((f) => `${f} REAL NOT NULL DEFAULT 0`).join(', ')},
    rtt_min REAL, rtt_max REAL,
    ${binColumns.map((c) => `${c} INTEGER NOT NULL DEFAULT 0`).join(', ')},
    PRIMARY KEY (${key}, device_id)) WITHOUT ROWID`
}

/** the rollups' row as both tables hold it */
function upsertSql (name: string, key: string): string {
  const cols = [key, 'device_id', 'location_id', 'type_id', 'rack', ...FIGURES, 'rtt_min', 'rtt_max', ...binColumns]
  const add = [...FIGURES, ...binColumns].map((c) => `${c} = ${c} + excluded.${c}`)
  return `INSERT INTO ${name} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})
    ON CONFLICT (${key}, device_id) DO UPDATE SET ${add.join(', ')},
    location_id = excluded.location_id, type_id = excluded.type_id, rack = excluded.rack,
    rtt_min = CASE WHEN rtt_min IS NULL OR excluded.rtt_min < rtt_min THEN excluded.rtt_min ELSE rtt_min END,
    rtt_max = CASE WHEN rtt_max IS NULL OR excluded.rtt_max > rtt_max THEN excluded.rtt_max ELSE rtt_max END`
}

/** the pre-aggregated groups, by `kind` in group_rollups(_daily) */
export const GROUP_KINDS = { location: 0, type: 1, rack: 2 } as const
const GROUP_COLUMNS = ['location_id', 'type_id', 'rack']
/** meta key set once every stored hour and day has its group rows (a store made before them is backfilled) */
export const GROUPS_META = 'group_rollups'

/*
 * Per group (location, type, rack) and hour, and per group and UTC day: the sums of the device rows
 * and the ids of the devices in it (a comma list, for the distinct count over a window). Rows are never
 * added to: each touched hour and day is recomputed from the device rows in the same transaction, so a
 * group row always equals the sum of its devices' rows as stored (a device that moved keeps the
 * location its row has, as in the device rows). `k` is the key made non-null for the primary key.
 */
function groupTable (name: string, key: string): string {
  return `CREATE TABLE IF NOT EXISTS ${name} (
    kind INTEGER NOT NULL, ${key} INTEGER NOT NULL, k NOT NULL, key, ids TEXT NOT NULL,
    ${FIGURES.map((f) => `${f} REAL NOT NULL DEFAULT 0`).join(', ')},
    rtt_min REAL, rtt_max REAL,
    ${binColumns.map((c) => `${c} INTEGER NOT NULL DEFAULT 0`).join(', ')},
    PRIMARY KEY (kind, ${key}, k)) WITHOUT ROWID`
}

function regroupSql (group: string, devices: string, key: string, kind: number): string {
  const col = GROUP_COLUMNS[kind]
  const sums = [...FIGURES, ...binColumns].map((c) => `SUM(${c})`)
  return `INSERT INTO ${group} (kind, ${key}, k, key, ids, ${[...FIGURES, ...binColumns].join(', ')}, rtt_min, rtt_max)
    SELECT ${kind}, ${key}, COALESCE(${col}, X''), ${col}, group_concat(device_id), ${sums.join(', ')}, MIN(rtt_min), MAX(rtt_max)
    FROM (SELECT * FROM ${devices} WHERE ${key} = ? ORDER BY ${col}, device_id) GROUP BY ${col}`
}

const rowValues = (key: number, r: Rollup): unknown[] => {
  const v: unknown[] = [key, r.device_id, r.location_id, r.type_id, r.rack, r.up_s, r.down_s, r.unreachable_s, r.maintenance_s, r.sent, r.answered, r.rtt_sum, Number.isFinite(r.rtt_min) ? r.rtt_min : null, Number.isFinite(r.rtt_max) ? r.rtt_max : null]
  for (let b = 0; b < RTT_BINS; b++) v.push(r.hist[b])
  return v
}

export interface OutageFilter {
  fromMs: number
  toMs: number
  deviceId?: number
  locationId?: number
  open?: boolean
  limit: number
}

export interface StoredReport {
  slot: number
  at: number
  late: boolean
  period_from: number
  period_to: number
  title: string
  text: string
  figures: Record<string, unknown>
}

/**
 * Each connection's page cache, in KiB (negative: SQLite's unit for a size). better-sqlite3 builds
 * SQLite with 16 MB (SQLITE_DEFAULT_CACHE_SIZE=-16000), and a flush of 50,000 devices' rows filled
 * it: 15-18 MB more RSS after a flush than with 4 MB, at a flush time within the noise of three
 * runs each (1.3-2.7 s either way; bench/memory/flush-rss.mjs, README issue 17).
 */
export const CACHE_SIZE = -4000

/**
 * The durable record: hourly rollups (and the same per UTC day, so that long windows read 24 times
 * fewer rows), the same summed per location, type and rack (a location query reads one row per
 * location and day instead of one per device), outages, the service's own heartbeat, and the shift reports. One SQLite file in WAL
 * mode; a second, read-only connection answers the queries, so that they see committed data only
 * while a flush is under way.
 */
export class AvailabilityStore {
  readonly db: Database.Database
  readonly reader: Database.Database
  private readonly upHour: Database.Statement
  private readonly upDay: Database.Statement
  private readonly upOutage: Database.Statement
  private readonly regroupHour: Database.Statement[]
  private readonly regroupDay: Database.Statement[]
  private readonly ungroupHour: Database.Statement
  private readonly ungroupDay: Database.Statement
  /** hours and days whose device rows changed since their group rows were made */
  private readonly dirtyHours = new Set<number>()
  private readonly dirtyDays = new Set<number>()
  private inTx = false

  constructor (readonly file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
    this.db = new Database(file)
    try {
      this.db.pragma('journal_mode = WAL')
      this.db.pragma('synchronous = NORMAL')
      this.db.pragma(`cache_size = ${CACHE_SIZE}`)
      this.db.exec(rollupTable('rollups', 'hour'))
      this.db.exec(rollupTable('rollups_daily', 'day'))
      this.db.exec(groupTable('group_rollups', 'hour'))
      this.db.exec(groupTable('group_rollups_daily', 'day'))
      this.db.exec(`CREATE TABLE IF NOT EXISTS outages (
        device_id INTEGER NOT NULL, start_at INTEGER NOT NULL, end_at INTEGER, cause TEXT NOT NULL,
        maintenance INTEGER NOT NULL, location_id INTEGER, type_id INTEGER, rack TEXT,
        PRIMARY KEY (device_id, start_at)) WITHOUT ROWID`)
      this.db.exec('CREATE INDEX IF NOT EXISTS outages_by_start ON outages (start_at)')
      this.db.exec('CREATE INDEX IF NOT EXISTS outages_open ON outages (device_id) WHERE end_at IS NULL')
      this.db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)')
      this.db.exec(`CREATE TABLE IF NOT EXISTS reports (slot INTEGER PRIMARY KEY, at INTEGER NOT NULL, late INTEGER NOT NULL,
        period_from INTEGER NOT NULL, period_to INTEGER NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL, figures TEXT NOT NULL)`)
      this.reader = file === ':memory:' ? this.db : new Database(file, { readonly: true })
      if (this.reader !== this.db) this.reader.pragma(`cache_size = ${CACHE_SIZE}`)
      this.upHour = this.db.prepare(upsertSql('rollups', 'hour'))
      this.upDay = this.db.prepare(upsertSql('rollups_daily', 'day'))
      this.regroupHour = [0, 1, 2].map((k) => this.db.prepare(regroupSql('group_rollups', 'rollups', 'hour', k)))
      this.regroupDay = [0, 1, 2].map((k) => this.db.prepare(regroupSql('group_rollups_daily', 'rollups_daily', 'day', k)))
      this.ungroupHour = this.db.prepare('DELETE FROM group_rollups WHERE hour = ?')
      this.ungroupDay = this.db.prepare('DELETE FROM group_rollups_daily WHERE day = ?')
      // a new store has its group rows from the start; one from before them is backfilled (backfillGroups)
      if (this.getMeta(GROUPS_META) === null && this.db.prepare('SELECT 1 FROM rollups LIMIT 1').get() === undefined) this.setMeta(GROUPS_META, '1')
      this.upOutage = this.db.prepare(`INSERT INTO outages (device_id, start_at, end_at, cause, maintenance, location_id, type_id, rack)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, start_at) DO UPDATE SET end_at = excluded.end_at,
        cause = excluded.cause, maintenance = excluded.maintenance`)
    } catch (err) {
      // A store that cannot be made (a full disk, a file that is not a database) must not keep its
      // read-write handle open until the garbage collector finds it: the service opens it again on
      // its next use, and an open writer keeps e.g. the directory's file system from going read-only
      const reader = (this as Partial<AvailabilityStore>).reader
      if (reader !== undefined && reader !== this.db) reader.close()
      this.db.close()
      throw err
    }
  }

  /**
   * Adds rollup rows to the hourly and the daily tables (inside the caller's transaction, if any).
   * Alone, it also remakes the group rows of the hours and days touched, in the same transaction;
   * inside a caller's, or with `deferGroups` (the rebuild, a batch at a time), the caller does (regroupOne).
   */
  addRollups (rows: Rollup[], deferGroups = false): void {
    const run = () => {
      for (const r of rows) {
        const day = Math.floor(r.hour / DAY_MS) * DAY_MS
        this.upHour.run(...rowValues(r.hour, r))
        this.upDay.run(...rowValues(day, r))
        this.dirtyHours.add(r.hour)
        this.dirtyDays.add(day)
      }
    }
    if (this.inTx) run()
    else if (deferGroups) this.db.transaction(run)()
    else this.db.transaction(() => { run(); this.regroupAll() })()
  }

  /** hours and days waiting for their group rows */
  get dirty (): number {
    return this.dirtyHours.size + this.dirtyDays.size
  }

  /**
   * Remakes the group rows of one hour or day whose device rows changed (inside the caller's
   * transaction, if any): the hours before `beforeHour` first, then the days before its day. Returns
   * false when none is left. One call reads one hour's or one day's device rows (10,000 at 10,000
   * devices), so a caller can give the event loop a turn between calls.
   */
  regroupOne (beforeHour = Infinity): boolean {
    for (const h of this.dirtyHours) {
      if (h >= beforeHour) continue
      this.regroup('hour', h)
      return true
    }
    const beforeDay = Math.floor(beforeHour / DAY_MS) * DAY_MS
    for (const d of this.dirtyDays) {
      if (!(d < beforeDay)) continue
      this.regroup('day', d)
      return true
    }
    return false
  }

  /** Every hour and day changed so far gets its group rows. */
  regroupAll (): void {
    const run = () => { while (this.regroupOne()); }
    if (this.inTx) run()
    else this.db.transaction(run)()
  }

  /** Remakes the group rows of one hour or one UTC day from its device rows. */
  regroup (span: 'hour' | 'day', at: number): void {
    const [dirty, clear, make] = span === 'hour' ? [this.dirtyHours, this.ungroupHour, this.regroupHour] : [this.dirtyDays, this.ungroupDay, this.regroupDay]
    dirty.delete(at)
    const run = () => {
      clear.run(at)
      for (const s of make) s.run(at)
    }
    if (this.inTx) run()
    else this.db.transaction(run)()
  }

  /** the hours and days stored (for a store written before the group rows existed) */
  storedSpans (): { hours: number[], days: number[] } {
    return {
      hours: this.db.prepare('SELECT DISTINCT hour FROM rollups').pluck().all() as number[],
      days: this.db.prepare('SELECT DISTINCT day FROM rollups_daily').pluck().all() as number[]
    }
  }

  /** A write spread over several turns of the event loop, committed as one (see AvailabilityService.flush). */
  begin (): void {
    this.db.exec('BEGIN')
    this.inTx = true
  }

  commit (): void {
    this.inTx = false
    this.db.exec('COMMIT')
  }

  rollback (): void {
    this.inTx = false
    if (this.db.inTransaction) this.db.exec('ROLLBACK')
  }

  writeOutages (outages: Outage[]): void {
    if (outages.length === 0) return
    const run = () => {
      for (const o of outages) this.upOutage.run(o.device_id, o.start, o.end, o.cause, o.maintenance ? 1 : 0, o.location_id, o.type_id, o.rack)
    }
    if (this.inTx) run()
    else this.db.transaction(run)()
  }

  /** the device's outages that began after `afterMs`, oldest first (the rebuild joins a restart's outage to the one before it) */
  outagesAfter (deviceId: number, afterMs: number): Outage[] {
    return (this.db.prepare('SELECT * FROM outages WHERE device_id = ? AND start_at > ? ORDER BY start_at').all(deviceId, afterMs) as any[]).map(toOutage)
  }

  deleteOutage (deviceId: number, start: number): void {
    this.db.prepare('DELETE FROM outages WHERE device_id = ? AND start_at = ?').run(deviceId, start)
  }

  openOutages (): Outage[] {
    return (this.db.prepare('SELECT * FROM outages WHERE end_at IS NULL').all() as any[]).map(toOutage)
  }

  outages (f: OutageFilter): Outage[] {
    const where = ['start_at < ?', '(end_at IS NULL OR end_at >= ?)']
    const args: unknown[] = [f.toMs, f.fromMs]
    if (f.deviceId !== undefined) { where.push('device_id = ?'); args.push(f.deviceId) }
    if (f.locationId !== undefined) { where.push('location_id = ?'); args.push(f.locationId) }
    if (f.open !== undefined) where.push(f.open ? 'end_at IS NULL' : 'end_at IS NOT NULL')
    args.push(f.limit)
    return (this.reader.prepare(`SELECT * FROM outages WHERE ${where.join(' AND ')} ORDER BY start_at DESC, device_id LIMIT ?`).all(...args) as any[]).map(toOutage)
  }

  getMeta (key: string): string | null {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined
    return row?.value ?? null
  }

  setMeta (key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value)
  }

  /** Drops rollups, outages and reports older than `beforeMs`. */
  prune (beforeMs: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM rollups WHERE hour < ?').run(beforeMs)
      this.db.prepare('DELETE FROM rollups_daily WHERE day < ?').run(Math.floor(beforeMs / DAY_MS) * DAY_MS)
      this.db.prepare('DELETE FROM group_rollups WHERE hour < ?').run(beforeMs)
      this.db.prepare('DELETE FROM group_rollups_daily WHERE day < ?').run(Math.floor(beforeMs / DAY_MS) * DAY_MS)
      this.db.prepare('DELETE FROM outages WHERE end_at IS NOT NULL AND end_at < ?').run(beforeMs)
      this.db.prepare('DELETE FROM reports WHERE at < ?').run(beforeMs)
    })()
  }

  hasReport (slot: number): boolean {
    return this.db.prepare('SELECT 1 FROM reports WHERE slot = ?').get(slot) !== undefined
  }

  lastReport (): StoredReport | null {
    const row = this.db.prepare('SELECT * FROM reports ORDER BY slot DESC LIMIT 1').get()
    return row === undefined ? null : toReport(row)
  }

  /** reports added since the store was opened (the response cache's version of GET /reports) */
  reportsAdded = 0

  addReport (r: StoredReport): void {
    this.reportsAdded++
    this.db.prepare('INSERT INTO reports (slot, at, late, period_from, period_to, title, text, figures) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(r.slot, r.at, r.late ? 1 : 0, r.period_from, r.period_to, r.title, r.text, JSON.stringify(r.figures))
  }

  reports (limit: number): StoredReport[] {
    return (this.reader.prepare('SELECT * FROM reports ORDER BY slot DESC LIMIT ?').all(limit) as any[]).map(toReport)
  }

  close (): void {
    if (this.reader !== this.db) this.reader.close()
    this.db.close()
  }
}

function toOutage (r: any): Outage {
  return { device_id: r.device_id, start: r.start_at, end: r.end_at, cause: r.cause as Cause, maintenance: r.maintenance === 1, location_id: r.location_id, type_id: r.type_id, rack: r.rack }
}

function toReport (r: any): StoredReport {
  return { slot: r.slot, at: r.at, late: r.late === 1, period_from: r.period_from, period_to: r.period_to, title: r.title, text: r.text, figures: JSON.parse(r.figures) }
}
