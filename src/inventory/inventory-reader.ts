import type { Knex } from 'knex'
import type { Log } from '../lib/log.js'
import { redactSecrets } from '../config/secrets.js'
import { withTimeout } from './database.js'
import { toDeviceId, type InventoryLookups, type InventoryRow, type TypeInfo } from './filter-inventory.js'
import { INVENTORY_TABLE, LOCATION_TABLE, TYPE_TABLE, planShape, type ColumnRef, type InventoryShape, type LookupShape, type ShapeSettings, type TableColumns } from './inventory-shape.js'

/** One read of the inventory: its rows and what the lookup tables say about them. */
export interface InventoryLoad {
  rows: InventoryRow[]
  lookups: InventoryLookups
}

export interface InventoryRead extends InventoryLoad {
  shape: InventoryShape
}

export interface InventoryReaderOptions {
  settings: ShapeSettings
  /** where the notes about the shape go (one info line each, once per reader) */
  log?: Pick<Log, 'info'>
  /** strings that must never appear in a logged message */
  secrets?: string[]
}

export interface InventoryReader {
  read: () => Promise<InventoryRead>
}

/** The columns the database reports for a table; null when it has none we may see. */
async function tableColumns (knex: Knex, table: string): Promise<string[] | null> {
  // information_schema (MySQL) and PRAGMA table_info (SQLite) show only what this user may read:
  // a table without a grant looks like a missing one, which is what the monitor needs to know
  const info = await withTimeout(knex, knex(table).columnInfo() as unknown as Knex.QueryBuilder) as unknown as Record<string, unknown>
  const names = Object.keys(info)
  return names.length === 0 ? null : names
}

function selectList (refs: ColumnRef[]): string[] {
  return refs.map((r) => r.column === r.as ? r.column : `${r.column} as ${r.as}`)
}

/**
 * Reads `inventaris` and its lookup tables over one connection. Read-only. The shape (which columns
 * and tables there are) is found once and kept; a failed query forgets it, so that a table altered
 * or a grant changed while the database was away is seen on the next read.
 */
export function createInventoryReader (knex: Knex, opts: InventoryReaderOptions): InventoryReader {
  let shape: InventoryShape | null = null
  // each note once per reader: the same missing table is not news on every reload
  const told = new Set<string>()
  const tell = (note: string) => {
    if (told.has(note)) return
    told.add(note)
    opts.log?.info({ note: redactSecrets(note, opts.secrets ?? []) }, 'inventory shape')
  }

  const detect = async (): Promise<InventoryShape> => {
    const tables: TableColumns = {
      inventaris: await tableColumns(knex, INVENTORY_TABLE),
      lokasi_barangs: await tableColumns(knex, LOCATION_TABLE),
      jenis_barangs: await tableColumns(knex, TYPE_TABLE)
    }
    const found = planShape(tables, opts.settings)
    for (const n of found.notes) tell(n)
    return found
  }

  // A lookup table that cannot be read is not an inventory failure: names fall back, pinging goes on
  const readLookup = async (look: LookupShape | null): Promise<Array<Record<string, unknown>> | null> => {
    if (look === null) return null
    try {
      const refs: ColumnRef[] = [{ column: look.id, as: 'id' }]
      if (look.name !== null) refs.push(look.name)
      if (look.ping !== null) refs.push(look.ping)
      return await withTimeout(knex, knex(look.table).select(selectList(refs)))
    } catch (err: any) {
      tell(`${look.table} could not be read (${String(err?.message ?? err).slice(0, 300)}): read without it`)
      shape = null
      return null
    }
  }

  return {
    read: async () => {
      let current: InventoryShape
      let rows: InventoryRow[]
      try {
        current = shape ?? await detect()
        shape = current
        rows = await withTimeout(knex, knex(INVENTORY_TABLE).select(selectList(current.columns)).orderBy(current.columns[0].column))
      } catch (err) {
        shape = null
        throw err
      }
      const locationRows = await readLookup(current.locations)
      const typeRows = await readLookup(current.types)
      return { rows, shape: current, lookups: { locations: locationMap(locationRows), types: typeMap(typeRows) } }
    }
  }
}

function nameOf (value: unknown): string | null {
  if (value === null || value === undefined) return null
  const s = String(value).trim()
  return s === '' ? null : s
}

function locationMap (rows: Array<Record<string, unknown>> | null): Map<number, string | null> | null {
  if (rows === null) return null
  const out = new Map<number, string | null>()
  for (const r of rows) {
    const id = toDeviceId(r.id as InventoryRow['id'])
    if (id !== null) out.set(id, nameOf(r.name))
  }
  return out
}

/** ping: only an explicit 0 stops pinging; NULL (older installs) and a missing column mean ping. */
export function pingAllowed (value: unknown): boolean {
  if (value === null || value === undefined) return true
  if (typeof value === 'boolean') return value
  const n = Number(typeof value === 'string' ? value.trim() : value)
  return !(n === 0 && String(value).trim() !== '')
}

function typeMap (rows: Array<Record<string, unknown>> | null): Map<number, TypeInfo> | null {
  if (rows === null) return null
  const out = new Map<number, TypeInfo>()
  for (const r of rows) {
    const id = toDeviceId(r.id as InventoryRow['id'])
    if (id !== null) out.set(id, { name: nameOf(r.name), ping: pingAllowed(r.ping) })
  }
  return out
}
