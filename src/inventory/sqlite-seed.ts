import type { Knex } from 'knex'
import { toLocalDate } from './filter-inventory.js'

export interface SqliteSeedResult {
  /** inventaris was created now */
  created: boolean
  /** demo devices added (only into an empty inventaris) */
  seeded: number
  /** demo locations and types added (only into empty lookup tables) */
  lookupsSeeded: number
}

/** Demo locations: ids 1 to 3. */
export const DEMO_LOCATIONS = [
  { id: 1, nama_lokasi: 'Gedung A', keterangan: 'kantor dan laboratorium' },
  { id: 2, nama_lokasi: 'Gedung B', keterangan: 'ruang kelas' },
  { id: 3, nama_lokasi: 'Ruang Server', keterangan: null }
]

/**
 * Demo types. Type 1 is pinged: devices added with jenis_barang_id 1 (as older demo files and many
 * tests do) stay monitored. `Switch` can serve as an uplink type; `Monitor` says ping = 0.
 */
export const DEMO_TYPES = [
  { id: 1, nama: 'PC', kode: 'PC', ping: 1 },
  { id: 2, nama: 'Switch', kode: 'SW', ping: 1 },
  { id: 3, nama: 'Monitor', kode: 'MON', ping: 0 }
]

/** Days from today until the demo device's maintenance ends. */
export const DEMO_MAINTENANCE_DAYS = 7

/**
 * The embedded inventory, with the same columns as the inventory application's tables
 * (../shared/fixtures/inventaris.sql). Files made by older versions (inventaris only) keep working:
 * each table is created only when missing, and demo rows go only into an empty table.
 */
export async function ensureSqliteInventory (knex: Knex, now: Date = new Date()): Promise<SqliteSeedResult> {
  const exists = await knex.schema.hasTable('inventaris')
  if (!exists) {
    await knex.schema.createTable('inventaris', (t) => {
      t.bigIncrements('id').primary()
      t.string('ip', 255).notNullable().index('inventaris_ip_index')
      t.string('hostname', 255).nullable()
      t.text('spesifikasi').nullable()
      t.integer('asal_rak').nullable()
      t.string('serial_number', 255).nullable().unique()
      t.string('product_number', 255).nullable()
      t.bigInteger('who_fixes').unsigned().nullable()
      t.bigInteger('barang_id').unsigned().nullable()
      t.bigInteger('jenis_barang_id').unsigned().notNullable()
      t.string('os', 255).nullable()
      t.string('merk', 255).nullable()
      t.bigInteger('id_lokasi').unsigned().notNullable().index('inventaris_id_lokasi_index')
      t.string('kondisi', 50).notNullable().defaultTo('baik').index('inventaris_kondisi_index')
      t.date('tenggat_maintenance').nullable()
      t.timestamp('created_at').nullable()
      t.timestamp('updated_at').nullable()
    })
  }
  if (!await knex.schema.hasTable('jenis_barangs')) {
    await knex.schema.createTable('jenis_barangs', (t) => {
      t.bigIncrements('id').primary()
      t.string('nama', 255).notNullable()
      t.string('kode', 50).nullable()
      t.integer('ping').nullable().defaultTo(1)
      t.timestamp('created_at').nullable()
      t.timestamp('updated_at').nullable()
    })
  }
  if (!await knex.schema.hasTable('lokasi_barangs')) {
    await knex.schema.createTable('lokasi_barangs', (t) => {
      t.bigIncrements('id').primary()
      t.string('nama_lokasi', 255).notNullable()
      t.text('keterangan').nullable()
      t.timestamp('created_at').nullable()
      t.timestamp('updated_at').nullable()
    })
  }
  const stamp = now.toISOString()
  const stamped = <T extends object>(rows: T[]) => rows.map((r) => ({ ...r, created_at: stamp, updated_at: stamp }))
  let lookupsSeeded = 0
  if (await isEmpty(knex, 'lokasi_barangs')) {
    await knex('lokasi_barangs').insert(stamped(DEMO_LOCATIONS))
    lookupsSeeded += DEMO_LOCATIONS.length
  }
  if (await isEmpty(knex, 'jenis_barangs')) {
    await knex('jenis_barangs').insert(stamped(DEMO_TYPES))
    lookupsSeeded += DEMO_TYPES.length
  }
  if (!await isEmpty(knex, 'inventaris')) return { created: !exists, seeded: 0, lookupsSeeded }
  const until = new Date(now.getFullYear(), now.getMonth(), now.getDate() + DEMO_MAINTENANCE_DAYS)
  // every demo address is on this machine (loopback), so the demo pings nobody else
  const demo = [
    { ip: '127.0.0.1', hostname: 'demo-gateway', kondisi: 'baik', id_lokasi: 3, jenis_barang_id: 2, asal_rak: 1, merk: 'MikroTik', os: 'RouterOS' },
    { ip: '127.0.0.2', hostname: 'demo-switch-1', kondisi: 'baik', id_lokasi: 1, jenis_barang_id: 2, asal_rak: 2, merk: 'Cisco', os: 'IOS' },
    { ip: '127.0.0.3', hostname: 'demo-pc-lab', kondisi: 'maintenance', id_lokasi: 1, jenis_barang_id: 1, asal_rak: 2, merk: 'Lenovo', os: 'Windows 11', tenggat_maintenance: toLocalDate(until) },
    { ip: '::1', hostname: 'demo-ipv6-host', kondisi: 'baik', id_lokasi: 2, jenis_barang_id: 1, merk: 'Dell', os: 'Ubuntu 24.04' },
    { ip: 'localhost', hostname: null, kondisi: 'baik', id_lokasi: 2, jenis_barang_id: 1 },
    { ip: '127.0.0.9', hostname: 'demo-lost-laptop', kondisi: 'hilang', id_lokasi: 2, jenis_barang_id: 1, merk: 'Asus' },
    { ip: '127.0.0.10', hostname: 'demo-monitor', kondisi: 'baik', id_lokasi: 1, jenis_barang_id: 3, merk: 'Samsung' }
  ]
  await knex('inventaris').insert(stamped(demo))
  return { created: !exists, seeded: demo.length, lookupsSeeded }
}

async function isEmpty (knex: Knex, table: string): Promise<boolean> {
  const [{ n }] = await knex(table).count({ n: '*' })
  return Number(n) === 0
}
