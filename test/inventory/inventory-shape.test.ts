import t from 'tap'
import { OPTIONAL_COLUMNS, REQUIRED_COLUMNS, planShape } from '../../src/inventory/inventory-shape.js'
import { pingAllowed } from '../../src/inventory/inventory-reader.js'

const FULL = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS, 'spesifikasi', 'created_at']

t.test('a complete inventory: every column, both lookups, nothing to note', async (t) => {
  const s = planShape({ inventaris: FULL, lokasi_barangs: ['id', 'nama_lokasi', 'keterangan'], jenis_barangs: ['id', 'nama', 'kode', 'ping'] })
  t.same(s.columns.map((c) => c.column), [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS])
  t.same(s.locations, { table: 'lokasi_barangs', id: 'id', name: { column: 'nama_lokasi', as: 'name' }, ping: null })
  t.same(s.types, { table: 'jenis_barangs', id: 'id', name: { column: 'nama', as: 'name' }, ping: { column: 'ping', as: 'ping' } })
  t.same(s.notes, [])
})

t.test('candidates in order; the setting first; columns matched in any case, read under their own spelling', async (t) => {
  const both = planShape({ inventaris: FULL, lokasi_barangs: ['ID', 'Lokasi', 'Nama'], jenis_barangs: ['id', 'jenis', 'name'] })
  t.same(both.locations?.id, 'ID')
  t.same(both.locations?.name, { column: 'Nama', as: 'name' }, 'nama comes before lokasi')
  t.same(both.types?.name, { column: 'name', as: 'name' }, 'name comes before jenis')
  const set = planShape({ inventaris: FULL, lokasi_barangs: ['id', 'nama', 'label'], jenis_barangs: ['id', 'nama'] }, { LOCATION_NAME_COLUMN: 'LABEL', TYPE_NAME_COLUMN: 'missing' })
  t.same(set.locations?.name, { column: 'label', as: 'name' })
  t.same(set.types?.name, { column: 'nama', as: 'name' })
  t.same(set.notes, ['jenis_barangs has no column TYPE_NAME_COLUMN=missing; trying nama_jenis, nama, name, jenis'])
  const upper = planShape({ inventaris: ['ID', 'IP', 'Hostname', 'KONDISI'], lokasi_barangs: null, jenis_barangs: null })
  t.same(upper.columns, [{ column: 'ID', as: 'id' }, { column: 'IP', as: 'ip' }, { column: 'Hostname', as: 'hostname' }, { column: 'KONDISI', as: 'kondisi' }])
})

t.test('missing columns and tables become notes; lookups only for the id columns the inventory has', async (t) => {
  const old = planShape({ inventaris: ['id', 'ip', 'hostname', 'kondisi', 'jenis_barang_id'], lokasi_barangs: ['id', 'nama'], jenis_barangs: null })
  t.same(old.missing, ['id_lokasi', 'asal_rak', 'merk', 'os', 'tenggat_maintenance'])
  t.equal(old.locations, null, 'no id_lokasi: lokasi_barangs is of no use')
  t.equal(old.types, null)
  t.same(old.notes, ['inventaris has no column id_lokasi, asal_rak, merk, os, tenggat_maintenance: read without', 'jenis_barangs not found or not readable by this database user: types show as Jenis #<id>, every type is pinged'])
  const noId = planShape({ inventaris: FULL, lokasi_barangs: ['kode', 'nama'], jenis_barangs: ['id'] })
  t.equal(noId.locations, null)
  t.match(noId.notes, [/^lokasi_barangs has no id column/, /^jenis_barangs has none of the name columns/])
  t.same(noId.types, { table: 'jenis_barangs', id: 'id', name: null, ping: null })
})

t.test('an unreadable inventaris: the required columns are still named, so the query fails with the database\'s message', async (t) => {
  const s = planShape({ inventaris: null, lokasi_barangs: null, jenis_barangs: null })
  t.same(s.columns.map((c) => c.column), [...REQUIRED_COLUMNS])
  t.same(s.missing, [])
})

t.test('ping: only an explicit 0 stops pinging', async (t) => {
  for (const v of [1, '1', 2, true, null, undefined, '', 'ya']) t.equal(pingAllowed(v), true, String(v))
  for (const v of [0, '0', ' 0 ', false, 0n]) t.equal(pingAllowed(v), false, String(v))
})
