/**
 * Which columns and lookup tables this inventory has. Inventories differ by version of the inventory
 * application (older `inventaris` tables lack some columns; lokasi_barangs calls its name column
 * `nama_lokasi` or `nama`; jenis_barangs has a `ping` column only on newer installs), so the monitor
 * looks before it reads instead of failing on a column that is not there.
 */

/** Always read: without them there is nothing to ping (a query naming them fails loudly if they are missing). */
export const REQUIRED_COLUMNS = ['id', 'ip', 'hostname', 'kondisi'] as const
/** Read when the table has them. */
export const OPTIONAL_COLUMNS = ['id_lokasi', 'asal_rak', 'jenis_barang_id', 'merk', 'os', 'tenggat_maintenance'] as const

export const INVENTORY_TABLE = 'inventaris'
export const LOCATION_TABLE = 'lokasi_barangs'
export const TYPE_TABLE = 'jenis_barangs'

/** the usual name columns, in the order they are tried */
export const LOCATION_NAME_CANDIDATES = ['nama_lokasi', 'nama', 'name', 'lokasi'] as const
export const TYPE_NAME_CANDIDATES = ['nama_jenis', 'nama', 'name', 'jenis'] as const

/** A column to select: its name in the table and the name the monitor reads it as. */
export interface ColumnRef {
  column: string
  as: string
}

export interface LookupShape {
  table: string
  id: string
  /** null: no known name column (names fall back to `Lokasi #<id>` / `Jenis #<id>`) */
  name: ColumnRef | null
  /** jenis_barangs.ping when present */
  ping: ColumnRef | null
}

export interface InventoryShape {
  /** the inventaris columns to read */
  columns: ColumnRef[]
  /** optional columns the table lacks */
  missing: string[]
  locations: LookupShape | null
  types: LookupShape | null
  /** what an operator should know about the shape, one info line each */
  notes: string[]
}

export interface ShapeSettings {
  LOCATION_NAME_COLUMN?: string
  TYPE_NAME_COLUMN?: string
}

/** The columns each table has as the database reports them; null when the table is missing or not readable. */
export interface TableColumns {
  inventaris: string[] | null
  lokasi_barangs: string[] | null
  jenis_barangs: string[] | null
}

// MySQL column names are case-insensitive: match them so, but select them as the table spells them
function finder (columns: string[]): (name: string) => ColumnRef | null {
  const byLower = new Map(columns.map((c) => [c.toLowerCase(), c]))
  return (name) => {
    const column = byLower.get(name.toLowerCase())
    return column === undefined ? null : { column, as: name }
  }
}

function lookupShape (table: string, columns: string[] | null, candidates: readonly string[], setting: string | undefined, settingName: string, notes: string[], fallback: string, withPing: boolean): LookupShape | null {
  if (columns === null || columns.length === 0) {
    notes.push(`${table} not found or not readable by this database user: ${fallback}`)
    return null
  }
  const find = finder(columns)
  const id = find('id')
  if (id === null) {
    notes.push(`${table} has no id column: ${fallback}`)
    return null
  }
  let name: ColumnRef | null = null
  if (setting !== undefined) {
    name = find(setting)
    if (name === null) notes.push(`${table} has no column ${settingName}=${setting}; trying ${candidates.join(', ')}`)
  }
  for (const c of candidates) name ??= find(c)
  if (name !== null) name = { column: name.column, as: 'name' }
  else notes.push(`${table} has none of the name columns ${candidates.join(', ')} (set ${settingName}): ${fallback}`)
  const ping = withPing ? find('ping') : null
  return { table, id: id.column, name, ping: ping === null ? null : { column: ping.column, as: 'ping' } }
}

/** What to read, from what the database says it has. Pure: the tests feed it column lists. */
export function planShape (tables: TableColumns, settings: ShapeSettings = {}): InventoryShape {
  const notes: string[] = []
  const inv = tables.inventaris ?? []
  const find = finder(inv)
  const columns: ColumnRef[] = []
  const missing: string[] = []
  // an unreadable inventaris: name the required columns anyway, so the query fails with the
  // database's own message (no such table, access denied) instead of a guess of ours
  for (const c of REQUIRED_COLUMNS) columns.push(find(c) ?? { column: c, as: c })
  for (const c of OPTIONAL_COLUMNS) {
    const ref = find(c)
    if (ref !== null) columns.push(ref)
    else if (inv.length > 0) missing.push(c)
  }
  if (missing.length > 0) notes.push(`${INVENTORY_TABLE} has no column ${missing.join(', ')}: read without`)
  const hasLocation = inv.length === 0 || !missing.includes('id_lokasi')
  const hasType = inv.length === 0 || !missing.includes('jenis_barang_id')
  return {
    columns,
    missing,
    locations: hasLocation ? lookupShape(LOCATION_TABLE, tables.lokasi_barangs, LOCATION_NAME_CANDIDATES, settings.LOCATION_NAME_COLUMN, 'LOCATION_NAME_COLUMN', notes, 'locations show as Lokasi #<id>', false) : null,
    types: hasType ? lookupShape(TYPE_TABLE, tables.jenis_barangs, TYPE_NAME_CANDIDATES, settings.TYPE_NAME_COLUMN, 'TYPE_NAME_COLUMN', notes, 'types show as Jenis #<id>, every type is pinged', true) : null,
    notes
  }
}
