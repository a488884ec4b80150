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

export interface InventoryFilterResult {
  devices: Device[]
  skipped: SkippedRow[]
  /** rows left out on purpose (kondisi = hilang); not an error */
  lost: number
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
 * Which rows are monitored: kondisi other than `hilang` (trimmed, any case) and an `ip` that, trimmed,
 * is an IP literal or a DNS hostname. Everything else is skipped with a reason.
 */
export function filterInventory (rows: Iterable<InventoryRow>): InventoryFilterResult {
  const devices: Device[] = []
  const skipped: SkippedRow[] = []
  const seenIds = new Set<number>()
  let lost = 0
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
    devices.push({
      device_id: id,
      ip_address: ip,
      hostname: hostname === '' ? ip : hostname,
      family: cls.family,
      location: NO_LOCATION,
      rack: null,
      type: NO_TYPE,
      merk: null,
      os: null,
      kondisi: (row.kondisi ?? '').trim().toLowerCase(),
      maintenance_until: null
    })
  }
  devices.sort((a, b) => a.device_id - b.device_id)
  return { devices, skipped, lost }
}

/** A device with no location, type or maintenance facts: for callers that know only the address. */
export function makeDevice (d: Pick<Device, 'device_id' | 'ip_address' | 'hostname' | 'family'> & Partial<Device>): Device {
  return { location: NO_LOCATION, rack: null, type: NO_TYPE, merk: null, os: null, kondisi: 'baik', maintenance_until: null, ...d }
}
