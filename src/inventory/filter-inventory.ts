import { isIP } from 'node:net'

/** One row of `inventaris` as the monitor reads it (only the columns it needs). */
export interface InventoryRow {
  id: number | string | bigint | null
  ip: string | null
  hostname: string | null
  kondisi: string | null
  // read only when the table has the column (older tables lack some)
  id_lokasi?: number | string | bigint | null
  asal_rak?: number | string | null
  jenis_barang_id?: number | string | bigint | null
  merk?: string | null
  os?: string | null
  tenggat_maintenance?: string | Date | null
}

/** A location or a device type: its inventory id (null when the inventory has none) and its name. */
export interface NamedRef {
  id: number | null
  name: string
}

export interface Device {
  device_id: number
  ip_address: string
  /** inventory hostname, or the address when the inventory has none */
  hostname: string
  family: 4 | 6 | 0
  /** id_lokasi with its name from lokasi_barangs, or `Lokasi #<id>` */
  location: NamedRef
  /** asal_rak, as text; null when none */
  rack: string | null
  /** jenis_barang_id with its name from jenis_barangs, or `Jenis #<id>` */
  type: NamedRef
  merk: string | null
  os: string | null
  /** kondisi, trimmed and lower case ('' when none) */
  kondisi: string
  /** tenggat_maintenance as YYYY-MM-DD (the inventory's local date), null when none */
  maintenance_until: string | null
}

export const NO_LOCATION: NamedRef = { id: null, name: 'Tanpa lokasi' }
export const NO_TYPE: NamedRef = { id: null, name: 'Tanpa jenis' }

export interface SkippedRow {
  device_id: number | null
  ip: string
  reason: string
}

/** A row of jenis_barangs as the monitor uses it. */
export interface TypeInfo {
  /** null when the table has no name column the monitor knows */
  name: string | null
  /** false only when the table has a `ping` column and it says 0 */
  ping: boolean
}

/** What the lookup tables say, read beside `inventaris`; null when a table cannot be read. */
export interface InventoryLookups {
  /** id_lokasi → name (null when lokasi_barangs has no name column the monitor knows) */
  locations: ReadonlyMap<number, string | null> | null
  types: ReadonlyMap<number, TypeInfo> | null
}

export const NO_LOOKUPS: InventoryLookups = { locations: null, types: null }

export interface NotPingedType extends NamedRef {
  /** inventory rows of this type left out */
  rows: number
}

export interface InventoryFilterResult {
  devices: Device[]
  skipped: SkippedRow[]
  /** rows left out on purpose (kondisi = hilang); not an error */
  lost: number
  /** rows left out on purpose because their type says ping = 0; not an error */
  notPinged: number
  /** the types those rows belong to, by id */
  notPingedTypes: NotPingedType[]
}

// RFC 1123 labels; the whole name at most 253 characters. No leading '-', so a value can never be
// mistaken for a command-line option.
const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/
const MAX_HOSTNAME = 253

export function classifyAddress (value: string): { family: 4 | 6 | 0 } | { reason: string } {
  if (value === '') return { reason: 'empty ip' }
  const family = isIP(value)
  if (family === 6 && value.includes('%')) {
    // isIP takes any zone id ('fe80::1%--help'): only an interface name or number is one
    return /%[A-Za-z0-9_.]+$/.test(value) && !/%[-.]/.test(value) ? { family } : { reason: 'IPv6 zone id is not an interface name' }
  }
  if (family === 4 || family === 6) return { family }
  if (value.length > MAX_HOSTNAME) return { reason: `ip longer than ${MAX_HOSTNAME} characters` }
  const name = value.endsWith('.') ? value.slice(0, -1) : value
  const labels = name.split('.')
  if (labels.every((l) => LABEL.test(l)) && !/^[0-9.]+$/.test(name)) return { family: 0 }
  return { reason: 'not an IPv4/IPv6 address or hostname' }
}

export function toDeviceId (id: InventoryRow['id']): number | null {
  const n = typeof id === 'string' ? Number(id) : typeof id === 'bigint' ? Number(id) : id
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : null
}

/**
 * tenggat_maintenance as YYYY-MM-DD. mysql2 turns a DATE into a Date at local midnight (unless the
 * connection asks for strings), so a Date is read with its local parts; a string keeps its date part.
 * Zero and impossible dates ('0000-00-00', '2026-02-30') are none.
 */
export function toLocalDate (value: unknown): string | null {
  let y: number, m: number, d: number
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return null
    y = value.getFullYear(); m = value.getMonth() + 1; d = value.getDate()
  } else if (typeof value === 'string') {
    const match = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(value.trim())
    if (match === null) return null
    y = Number(match[1]); m = Number(match[2]); d = Number(match[3])
    const check = new Date(Date.UTC(y, m - 1, d))
    if (y === 0 || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) return null
  } else {
    return null
  }
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`
}

/** A free-text column, trimmed; null when empty or absent. */
function text (value: unknown): string | null {
  if (value === null || value === undefined) return null
  const s = (typeof value === 'string' ? value : String(value)).trim()
  return s === '' ? null : s
}

/** One shared NamedRef per id (50,000 devices in 1,000 locations need 1,000 objects, not 50,000). */
class RefCache {
  private readonly refs = new Map<number, NamedRef>()
  constructor (private readonly none: NamedRef, private readonly fallback: (id: number) => string, private readonly nameOf: (id: number) => string | null | undefined) {}

  get (id: number | null): NamedRef {
    if (id === null) return this.none
    let ref = this.refs.get(id)
    if (ref === undefined) {
      ref = { id, name: this.nameOf(id) ?? this.fallback(id) }
      this.refs.set(id, ref)
    }
    return ref
  }
}

/**
 * Which rows are monitored: kondisi other than `hilang` (trimmed, any case), a type that may be pinged
 * (its jenis_barangs row does not say ping = 0; a type without a row is monitored) and an `ip` that,
 * trimmed, is an IP literal or a DNS hostname. Everything else is skipped with a reason. The lookups
 * give the location and type names; without them a location is `Lokasi #<id>`, a type `Jenis #<id>`.
 */
export function filterInventory (rows: Iterable<InventoryRow>, lookups: InventoryLookups = NO_LOOKUPS): InventoryFilterResult {
  const devices: Device[] = []
  const skipped: SkippedRow[] = []
  const seenIds = new Set<number>()
  const locations = new RefCache(NO_LOCATION, (id) => `Lokasi #${id}`, (id) => lookups.locations?.get(id))
  const types = new RefCache(NO_TYPE, (id) => `Jenis #${id}`, (id) => lookups.types?.get(id)?.name)
  const notPingedByType = new Map<number, number>()
  // one string per distinct value of the fields few values share (each row brought its own copy:
  // 50,000 copies of 'baik', ~1.2 MB of heap at 50,000 devices, for the life of the device list)
  const shared = new Map<string, string>()
  const intern = <T extends string | null>(v: T): T => {
    if (v === null) return v
    const kept = shared.get(v)
    if (kept !== undefined) return kept as T
    shared.set(v, v)
    return v
  }
  let lost = 0
  let notPinged = 0
  for (const row of rows) {
    const id = toDeviceId(row.id)
    const rawIp = row.ip ?? ''
    if (id === null) {
      skipped.push({ device_id: null, ip: rawIp, reason: 'id is not a non-negative integer' })
      continue
    }
    if ((row.kondisi ?? '').trim().toLowerCase() === 'hilang') {
      lost++
      continue
    }
    // before the address checks: a monitor or a keyboard has no address to complain about
    const typeId = row.jenis_barang_id === undefined ? null : toDeviceId(row.jenis_barang_id)
    const typeInfo = typeId === null ? undefined : lookups.types?.get(typeId)
    if (typeId !== null && typeInfo !== undefined && !typeInfo.ping) {
      notPinged++
      notPingedByType.set(typeId, (notPingedByType.get(typeId) ?? 0) + 1)
      continue
    }
    if (seenIds.has(id)) {
      skipped.push({ device_id: id, ip: rawIp, reason: 'duplicate id' })
      continue
    }
    const ip = rawIp.trim()
    const cls = classifyAddress(ip)
    if ('reason' in cls) {
      skipped.push({ device_id: id, ip: rawIp, reason: cls.reason })
      continue
    }
    seenIds.add(id)
    const hostname = (row.hostname ?? '').trim()
    const locationId = row.id_lokasi === undefined ? null : toDeviceId(row.id_lokasi)
    devices.push({
      device_id: id,
      ip_address: ip,
      hostname: hostname === '' ? ip : hostname,
      family: cls.family,
      location: locations.get(locationId),
      rack: intern(text(row.asal_rak)),
      type: types.get(typeId),
      merk: intern(text(row.merk)),
      os: intern(text(row.os)),
      kondisi: intern((row.kondisi ?? '').trim().toLowerCase()),
      maintenance_until: intern(toLocalDate(row.tenggat_maintenance))
    })
  }
  devices.sort((a, b) => a.device_id - b.device_id)
  const notPingedTypes = [...notPingedByType].sort((a, b) => a[0] - b[0])
    .map(([typeId, n]) => ({ ...types.get(typeId), rows: n }))
  return { devices, skipped, lost, notPinged, notPingedTypes }
}

/** A device with no location, type or maintenance facts: for callers that know only the address. */
export function makeDevice (d: Pick<Device, 'device_id' | 'ip_address' | 'hostname' | 'family'> & Partial<Device>): Device {
  return { location: NO_LOCATION, rack: null, type: NO_TYPE, merk: null, os: null, kondisi: 'baik', maintenance_until: null, ...d }
}
