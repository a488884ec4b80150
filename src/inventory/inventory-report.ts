import type { InventoryFilterResult, InventoryLookups, NamedRef } from './filter-inventory.js'
import type { InventoryShape, LookupShape } from './inventory-shape.js'

interface Group {
  ref: NamedRef
  devices: number
  /** the id is in the lookup table */
  known: boolean
  notPinged: number
}

const plural = (n: number, one: string, many = one + 's') => `${n} ${n === 1 ? one : many}`

function groups (refs: NamedRef[], table: ReadonlyMap<number, unknown> | null, fallback: (id: number) => string, nameOf: (id: number) => string | null | undefined): Group[] {
  const byId = new Map<number | null, Group>()
  for (const id of table?.keys() ?? []) byId.set(id, { ref: { id, name: nameOf(id) ?? fallback(id) }, devices: 0, known: true, notPinged: 0 })
  for (const ref of refs) {
    let g = byId.get(ref.id)
    if (g === undefined) {
      g = { ref, devices: 0, known: false, notPinged: 0 }
      byId.set(ref.id, g)
    }
    g.devices++
  }
  // the devices without an id last
  return [...byId.values()].sort((a, b) => (a.ref.id ?? Infinity) - (b.ref.id ?? Infinity))
}

function source (look: LookupShape | null, table: string, missingColumn: boolean, fallback: string): string {
  if (missingColumn) return `inventaris has no ${table === 'lokasi_barangs' ? 'id_lokasi' : 'jenis_barang_id'} column`
  if (look === null) return `${table} not read; ${fallback}`
  return look.name === null ? `${table}, no name column; ${fallback}` : `${look.table}.${look.name.column}`
}

/** check:db's lines about the locations and types: what was found and how many devices each has. */
export function describeGroups (result: InventoryFilterResult, lookups: InventoryLookups, shape: InventoryShape): string[] {
  const out: string[] = []
  const table = (id: number | null, known: boolean, name: string) => !known && id !== null ? ' (no row in ' + name + ')' : ''

  const locations = groups(result.devices.map((d) => d.location), lookups.locations, (id) => `Lokasi #${id}`, (id) => lookups.locations?.get(id))
  out.push(`Locations (${source(shape.locations, 'lokasi_barangs', shape.missing.includes('id_lokasi'), 'shown as Lokasi #<id>')}): ${lookups.locations?.size ?? 0} in the table, ${plural(locations.filter((g) => g.devices > 0).length, 'location')} with monitored devices`)
  for (const g of locations) {
    out.push(`  ${g.ref.id === null ? '(none)' : '#' + String(g.ref.id)} ${g.ref.name}: ${plural(g.devices, 'device')}${lookups.locations === null ? '' : table(g.ref.id, g.known, 'lokasi_barangs')}`)
  }

  const types = groups(result.devices.map((d) => d.type), lookups.types, (id) => `Jenis #${id}`, (id) => lookups.types?.get(id)?.name)
  for (const t of result.notPingedTypes) {
    const g = types.find((x) => x.ref.id === t.id)
    if (g !== undefined) g.notPinged = t.rows
  }
  const ping = shape.types?.ping != null ? `, ping column ${shape.types.ping.column}` : shape.types === null ? '' : ', no ping column: every type is pinged'
  out.push(`Types (${source(shape.types, 'jenis_barangs', shape.missing.includes('jenis_barang_id'), 'shown as Jenis #<id>, every type pinged')}${ping}): ${lookups.types?.size ?? 0} in the table, ${plural(types.filter((g) => g.devices > 0).length, 'type')} with monitored devices`)
  for (const g of types) {
    const off = g.ref.id === null ? false : lookups.types?.get(g.ref.id)?.ping === false
    const what = off ? `not pinged (ping = 0), ${plural(g.notPinged, 'row')} left out` : plural(g.devices, 'device')
    out.push(`  ${g.ref.id === null ? '(none)' : '#' + String(g.ref.id)} ${g.ref.name}: ${what}${lookups.types === null ? '' : table(g.ref.id, g.known, 'jenis_barangs')}`)
  }
  return out
}
