import t from 'tap'
import { join } from 'node:path'
import knexFactory, { type Knex } from 'knex'
import { tempDir, type TestContext } from '../helper.js'
import { ensureSqliteInventory } from '../../src/inventory/sqlite-seed.js'
import { createInventoryReader } from '../../src/inventory/inventory-reader.js'
import { filterInventory, toLocalDate } from '../../src/inventory/filter-inventory.js'

function sqlite (t: TestContext): Knex {
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: join(tempDir(t, 'mpm-db-'), 'inventaris.sqlite') }, useNullAsDefault: true, pool: { min: 0, max: 1 } })
  t.teardown(() => knex.destroy())
  return knex
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/

t.test('a new demo: locations, types (one of them Switch, one not pinged), one device in maintenance until a future day', async (t) => {
  const knex = sqlite(t)
  const now = new Date(2026, 11, 2, 13, 0)
  const seeded = await ensureSqliteInventory(knex, now)
  t.match(seeded, { created: true, seeded: Number, lookupsSeeded: 6 })
  const notes: string[] = []
  const read = await createInventoryReader(knex, { settings: {}, log: { info: (o: any) => notes.push(o.note) } }).read()
  t.same(notes, [], 'the demo has every column and both tables')
  t.equal(read.rows.length, seeded.seeded)
  t.ok(read.rows.every((r) => LOOPBACK.test(String(r.ip))), 'every demo address is on this machine')
  const r = filterInventory(read.rows, read.lookups)

  const locations = new Set(r.devices.map((d) => d.location.name))
  t.ok(locations.size >= 2 && locations.size <= 3, `2 or 3 locations with devices: ${[...locations].join(', ')}`)
  t.notOk([...locations].some((n) => n.startsWith('Lokasi #')), 'every location has its name')
  t.equal(read.lookups.types?.size, 3)
  const sw = [...read.lookups.types!].find(([, v]) => v.name === 'Switch')
  t.ok(sw !== undefined && sw[1].ping, 'a pinged Switch type, for uplinks')
  t.ok(r.devices.filter((d) => d.type.name === 'Switch').length >= 1, 'with devices')
  t.equal(r.notPinged, 1, 'one device of a type that is not pinged')
  t.same(r.notPingedTypes.map((x) => x.name), ['Monitor'])
  t.equal(r.lost, 1, 'the hilang laptop')
  t.same(r.skipped, [])

  const maintenance = r.devices.filter((d) => d.kondisi === 'maintenance')
  t.equal(maintenance.length, 1)
  t.ok(maintenance[0].maintenance_until !== null && maintenance[0].maintenance_until > toLocalDate(now)!, `maintenance until ${String(maintenance[0].maintenance_until)}, after ${String(toLocalDate(now))}`)
  t.equal(r.devices.length, 5, 'five monitored demo devices, as before')
  t.ok(r.devices.every((d) => d.type.id === null || read.lookups.types?.get(d.type.id)?.ping === true))

  t.same(await ensureSqliteInventory(knex, now), { created: false, seeded: 0, lookupsSeeded: 0 }, 'a second start adds nothing')
})

t.test('a demo file of an older version (inventaris only) keeps its devices and gains the lookup tables', async (t) => {
  const knex = sqlite(t)
  // what older versions created: inventaris only, every device of type 1 in location 1
  await knex.schema.createTable('inventaris', (tb) => {
    tb.bigIncrements('id').primary()
    tb.string('ip', 255).notNullable()
    tb.string('hostname', 255).nullable()
    tb.bigInteger('jenis_barang_id').unsigned().notNullable()
    tb.bigInteger('id_lokasi').unsigned().notNullable()
    tb.string('kondisi', 50).notNullable().defaultTo('baik')
  })
  await knex('inventaris').insert([
    { ip: '127.0.0.1', hostname: 'old-gateway', jenis_barang_id: 1, id_lokasi: 1, kondisi: 'baik' },
    { ip: '127.0.0.2', hostname: 'old-switch', jenis_barang_id: 1, id_lokasi: 1, kondisi: 'maintenance' }
  ])
  const r1 = await ensureSqliteInventory(knex)
  t.same(r1, { created: false, seeded: 0, lookupsSeeded: 6 })
  t.same((await knex('inventaris').select('hostname').orderBy('id')).map((x) => x.hostname), ['old-gateway', 'old-switch'], 'the devices are untouched')
  const notes: string[] = []
  const read = await createInventoryReader(knex, { settings: {}, log: { info: (o: any) => notes.push(o.note) } }).read()
  const r = filterInventory(read.rows, read.lookups)
  t.same(r.devices.map((d) => [d.hostname, d.location.name, d.type.name]), [['old-gateway', 'Gedung A', 'PC'], ['old-switch', 'Gedung A', 'PC']], 'type 1 is pinged: the old devices stay monitored')
  t.same(notes, ['inventaris has no column asal_rak, merk, os, tenggat_maintenance: read without'])
})

t.test('lookup tables are seeded only when empty: an operator\'s own rows stay', async (t) => {
  const knex = sqlite(t)
  await knex.schema.createTable('jenis_barangs', (tb) => {
    tb.bigIncrements('id').primary()
    tb.string('nama', 255).notNullable()
    tb.integer('ping').nullable()
  })
  await knex('jenis_barangs').insert({ id: 1, nama: 'Kamera', ping: 1 })
  const r = await ensureSqliteInventory(knex)
  t.equal(r.lookupsSeeded, 3, 'only lokasi_barangs got the demo rows')
  t.same(await knex('jenis_barangs').select('id', 'nama'), [{ id: 1, nama: 'Kamera' }])
  t.equal((await knex('lokasi_barangs').count({ n: '*' }))[0].n, 3)
})
