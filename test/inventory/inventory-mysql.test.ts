import t from 'tap'
import { randomBytes } from 'node:crypto'
import knexFactory, { type Knex } from 'knex'
import { build, createMysqlInventory, MYSQL_SOCKET, NETNS_SKIP, type BuiltApp, type TestContext } from '../helper.js'
import type { Device } from '../../src/inventory/filter-inventory.js'

// The inventory as the service reads it from a real MariaDB: the three tables of the reference schema,
// inventaris alone, an old inventaris, a user without a grant on lokasi_barangs, types that say
// ping = 0, type rows that are missing, and the name column found or set.

const rootConnection = (database?: string) => knexFactory({
  client: 'mysql2',
  connection: { socketPath: MYSQL_SOCKET, user: 'root', password: '', ...(database !== undefined ? { database } : {}), multipleStatements: true },
  pool: { min: 0, max: 1 }
})

/** A fresh database made from `sql` (not the reference schema): for the older and odder inventories. */
async function customInventory (t: TestContext, sql: string): Promise<{ database: string, knex: Knex }> {
  const database = `mpm_test_${randomBytes(4).toString('hex')}`
  const admin = rootConnection()
  await admin.raw(`CREATE DATABASE \`${database}\``)
  await admin.destroy()
  const knex = rootConnection(database)
  t.teardown(async () => {
    await knex.raw(`DROP DATABASE IF EXISTS \`${database}\``)
    await knex.destroy()
  })
  await knex.raw(sql)
  return { database, knex }
}

/** The app built as production builds it on that database; the inventory loaded once (nothing pinged). */
async function loadInventory (t: TestContext, database: string, env: Record<string, string> = {}): Promise<BuiltApp> {
  const b = await build(t, { DB_CONNECTION: 'mysql', DB_SOCKET: MYSQL_SOCKET, DB_DATABASE: database, DB_USERNAME: 'root', DB_PASSWORD: '', DEVICE_CHECK_INTERVAL: '3600', ...env })
  await b.app.inventory.start()
  return b
}

const shapeNotes = (b: BuiltApp): string[] => b.logs.find('inventory shape').map((l) => l.note)
const lookupNotes = (b: BuiltApp): string[] => shapeNotes(b).filter((n) => !n.startsWith('inventaris '))
const errors = (b: BuiltApp) => b.logs.lines.filter((l) => l.level >= 50)
const byId = (devices: Device[]) => Object.fromEntries(devices.map((d) => [d.device_id, d]))

const LOOKUPS_SQL = `
  INSERT INTO lokasi_barangs (id, nama_lokasi) VALUES (1, 'Gedung A'), (2, ' Gedung B ');
  INSERT INTO jenis_barangs (id, nama, ping) VALUES (1, 'PC', 1), (2, 'Switch', NULL), (3, 'Monitor', 0);
`

t.test('inventory on MariaDB', { skip: NETNS_SKIP }, async (t) => {
  t.test('all three tables: names, rack, merk, os, kondisi, maintenance date; ping = 0 left out; missing rows monitored', async (t) => {
    const { database, knex } = await createMysqlInventory(t, [
      { id: 1, ip: '127.0.0.1', hostname: 'pc-lab', kondisi: 'maintenance', id_lokasi: 1, jenis_barang_id: 1, asal_rak: 4, merk: ' HP ', os: 'Windows 11', tenggat_maintenance: '2026-12-31' },
      { id: 2, ip: '127.0.0.2', hostname: 'sw-b', kondisi: 'baik', id_lokasi: 2, jenis_barang_id: 2, merk: '', os: null },
      { id: 3, ip: '', hostname: 'monitor-lab', kondisi: 'baik', id_lokasi: 1, jenis_barang_id: 3 },
      { id: 4, ip: '127.0.0.4', hostname: null, kondisi: 'baik', id_lokasi: 9, jenis_barang_id: 7 },
      { id: 5, ip: '127.0.0.5', hostname: 'lost-monitor', kondisi: 'hilang', id_lokasi: 1, jenis_barang_id: 3 },
      { id: 6, ip: '127.0.0.6', hostname: 'monitor-2', kondisi: 'baik', id_lokasi: 2, jenis_barang_id: 3 }
    ])
    await knex.raw(LOOKUPS_SQL)
    const b = await loadInventory(t, database)
    const d = byId(b.app.inventory.devices())
    t.same(Object.keys(d).map(Number), [1, 2, 4], 'the ping = 0 rows (3, 6) and the hilang row (5) are left out')
    t.same(d[1], { device_id: 1, ip_address: '127.0.0.1', hostname: 'pc-lab', family: 4, location: { id: 1, name: 'Gedung A' }, rack: '4', type: { id: 1, name: 'PC' }, merk: 'HP', os: 'Windows 11', kondisi: 'maintenance', maintenance_until: '2026-12-31' })
    t.match(d[2], { location: { id: 2, name: 'Gedung B' }, type: { id: 2, name: 'Switch' }, rack: null, merk: null, os: null, maintenance_until: null }, 'ping NULL (older installs) is pinged')
    t.match(d[4], { location: { id: 9, name: 'Lokasi #9' }, type: { id: 7, name: 'Jenis #7' } }, 'a device whose location and type rows are missing is monitored')
    const s = b.app.inventory.status()
    t.match(s, { healthy: true, devices: 3, skipped_rows: 0, lost_rows: 1, not_pinged_rows: 2 })
    t.same(s.not_pinged_types, [{ id: 3, name: 'Monitor', rows: 2 }])
    t.same(s.skipped, [], 'a type that is not pinged needs no address: not a skipped row')
    t.match(b.logs.find('inventory loaded'), [{ devices: 3, hilang: 1, not_pinged: 2 }])
    t.same(shapeNotes(b), [], 'nothing to say about a complete inventory')
    t.same(errors(b), [])

    // the facts are part of the device: a change of kondisi or location alone is an inventory change
    await knex('inventaris').where({ id: 2 }).update({ kondisi: 'Maintenance', tenggat_maintenance: '2027-01-05' })
    await knex('lokasi_barangs').where({ id: 1 }).update({ nama_lokasi: 'Gedung A (baru)' })
    await b.app.inventory.reload()
    const after = byId(b.app.inventory.devices())
    t.match(after[2], { kondisi: 'maintenance', maintenance_until: '2027-01-05' })
    t.same(after[1].location, { id: 1, name: 'Gedung A (baru)' })
    t.equal(b.logs.find('inventory changed').length, 1, 'the change is announced')
  })

  t.test('inventaris alone: Lokasi #<id> and Jenis #<id>, one info line per missing table across reloads', async (t) => {
    const { database, knex } = await createMysqlInventory(t, [
      { id: 1, ip: '127.0.0.1', hostname: 'a', id_lokasi: 3, jenis_barang_id: 2 },
      { id: 2, ip: '127.0.0.2', hostname: 'b', id_lokasi: 3, jenis_barang_id: 5 }
    ])
    await knex.raw('DROP TABLE lokasi_barangs; DROP TABLE jenis_barangs')
    const b = await loadInventory(t, database)
    await b.app.inventory.reload()
    await b.app.inventory.reload()
    t.same(b.app.inventory.devices().map((d) => [d.location, d.type]), [
      [{ id: 3, name: 'Lokasi #3' }, { id: 2, name: 'Jenis #2' }],
      [{ id: 3, name: 'Lokasi #3' }, { id: 5, name: 'Jenis #5' }]
    ])
    const notes = shapeNotes(b)
    t.equal(notes.length, 2, 'one line per table, not one per reload')
    t.match(notes, [/^lokasi_barangs not found or not readable.*Lokasi #<id>/, /^jenis_barangs not found or not readable.*Jenis #<id>/])
    t.ok(b.logs.find('inventory shape').every((l) => l.level === 30), 'info, not warn or error')
    t.same(errors(b), [])
    t.equal(b.app.inventory.status().healthy, true)
  })

  t.test('an old inventaris without the new columns (and a column in other case) is read without them', async (t) => {
    const { database } = await customInventory(t, `
      CREATE TABLE inventaris (id BIGINT UNSIGNED PRIMARY KEY, ip VARCHAR(255) NOT NULL, Hostname VARCHAR(255) NULL, kondisi VARCHAR(50) NOT NULL DEFAULT 'baik', id_lokasi BIGINT UNSIGNED NULL);
      CREATE TABLE lokasi_barangs (id BIGINT UNSIGNED PRIMARY KEY, nama VARCHAR(255) NOT NULL);
      INSERT INTO lokasi_barangs VALUES (1, 'Aula');
      INSERT INTO inventaris VALUES (1, '127.0.0.1', 'old-1', 'baik', 1), (2, '::1', NULL, 'maintenance', NULL), (3, '127.0.0.3', 'old-3', 'hilang', 1);
    `)
    const b = await loadInventory(t, database)
    await b.app.inventory.reload()
    t.same(b.app.inventory.devices(), [
      { device_id: 1, ip_address: '127.0.0.1', hostname: 'old-1', family: 4, location: { id: 1, name: 'Aula' }, rack: null, type: { id: null, name: 'Tanpa jenis' }, merk: null, os: null, kondisi: 'baik', maintenance_until: null },
      { device_id: 2, ip_address: '::1', hostname: '::1', family: 6, location: { id: null, name: 'Tanpa lokasi' }, rack: null, type: { id: null, name: 'Tanpa jenis' }, merk: null, os: null, kondisi: 'maintenance', maintenance_until: null }
    ], 'lokasi_barangs.nama found among the candidates; no jenis_barang_id column: no type')
    t.same(shapeNotes(b), ['inventaris has no column asal_rak, jenis_barang_id, merk, os, tenggat_maintenance: read without'], 'one line, and jenis_barangs is not asked for')
    t.equal(b.app.inventory.status().lost_rows, 1)
    t.same(errors(b), [])
  })

  t.test('no inventory id_lokasi column at all: every device keeps NO_LOCATION', async (t) => {
    const { database } = await customInventory(t, `
      CREATE TABLE inventaris (id INT PRIMARY KEY, ip VARCHAR(64) NOT NULL, hostname VARCHAR(64) NULL, kondisi VARCHAR(20) NULL);
      INSERT INTO inventaris VALUES (7, '127.0.0.7', 'x', NULL);
    `)
    const b = await loadInventory(t, database)
    t.same(b.app.inventory.devices().map((d) => [d.device_id, d.location.id, d.type.id, d.kondisi]), [[7, null, null, '']])
  })

  t.test('a user without a grant on lokasi_barangs: one info line, names of types still read, nothing leaks', async (t) => {
    const { database, knex } = await createMysqlInventory(t, [
      { id: 1, ip: '127.0.0.1', hostname: 'a', id_lokasi: 1, jenis_barang_id: 1 },
      { id: 2, ip: '127.0.0.2', hostname: 'b', id_lokasi: 2, jenis_barang_id: 3 }
    ])
    await knex.raw(LOOKUPS_SQL)
    const user = `mpm_u_${randomBytes(4).toString('hex')}`
    const password = `pw-${randomBytes(6).toString('hex')}`
    await knex.raw(`CREATE USER '${user}'@'localhost' IDENTIFIED BY '${password}'`)
    t.teardown(() => knex.raw(`DROP USER IF EXISTS '${user}'@'localhost'`))
    await knex.raw(`GRANT SELECT ON \`${database}\`.inventaris TO '${user}'@'localhost'`)
    await knex.raw(`GRANT SELECT ON \`${database}\`.jenis_barangs TO '${user}'@'localhost'`)
    // the grant is real: this user cannot read the table
    const asUser = knexFactory({ client: 'mysql2', connection: { socketPath: MYSQL_SOCKET, user, password, database }, pool: { min: 0, max: 1 } })
    t.teardown(() => asUser.destroy())
    await t.rejects(asUser('lokasi_barangs').select('id'), /denied/)

    const b = await loadInventory(t, database, { DB_USERNAME: user, DB_PASSWORD: password })
    await b.app.inventory.reload()
    await b.app.inventory.reload()
    t.same(b.app.inventory.devices().map((d) => [d.device_id, d.location, d.type]), [[1, { id: 1, name: 'Lokasi #1' }, { id: 1, name: 'PC' }]], 'device 2 is a Monitor (ping = 0): left out')
    t.equal(b.app.inventory.status().not_pinged_rows, 1)
    t.same(shapeNotes(b).length, 1)
    t.match(shapeNotes(b)[0], /^lokasi_barangs not found or not readable by this database user/)
    t.same(errors(b), [])
    t.equal(b.app.inventory.status().healthy, true)
    t.notOk(b.logs.raw.some((l) => l.includes(password)), 'the password is in no log line')
  })

  t.test('name columns: the candidates, the settings, a setting naming a missing column; no ping column', async (t) => {
    const { database } = await customInventory(t, `
      CREATE TABLE inventaris (id INT PRIMARY KEY, ip VARCHAR(64) NOT NULL, hostname VARCHAR(64) NULL, kondisi VARCHAR(20) NOT NULL, id_lokasi INT NULL, jenis_barang_id INT NULL);
      CREATE TABLE lokasi_barangs (id INT PRIMARY KEY, lokasi VARCHAR(64), label VARCHAR(64));
      CREATE TABLE jenis_barangs (id INT PRIMARY KEY, name VARCHAR(64), judul VARCHAR(64));
      INSERT INTO lokasi_barangs VALUES (1, 'Lantai 1', 'L1');
      INSERT INTO jenis_barangs VALUES (1, 'Router', 'Perute');
      INSERT INTO inventaris VALUES (1, '127.0.0.1', 'r1', 'baik', 1, 1);
    `)
    const byCandidates = await loadInventory(t, database)
    t.same([byCandidates.app.inventory.devices()[0].location, byCandidates.app.inventory.devices()[0].type], [{ id: 1, name: 'Lantai 1' }, { id: 1, name: 'Router' }], 'lokasi and name found among the candidates')
    t.same(lookupNotes(byCandidates), [], 'no ping column is no news: every type is pinged')

    const bySetting = await loadInventory(t, database, { LOCATION_NAME_COLUMN: 'label', TYPE_NAME_COLUMN: 'JUDUL' })
    t.same([bySetting.app.inventory.devices()[0].location.name, bySetting.app.inventory.devices()[0].type.name], ['L1', 'Perute'], 'the settings win (column names in any case)')

    const wrong = await loadInventory(t, database, { LOCATION_NAME_COLUMN: 'nope' })
    t.equal(wrong.app.inventory.devices()[0].location.name, 'Lantai 1', 'a setting naming a missing column falls back to the candidates')
    t.same(lookupNotes(wrong), ['lokasi_barangs has no column LOCATION_NAME_COLUMN=nope; trying nama_lokasi, nama, name, lokasi'])
  })

  t.test('lookup tables without a known name column, or empty: Lokasi #<id> / Jenis #<id>', async (t) => {
    const { database } = await customInventory(t, `
      CREATE TABLE inventaris (id INT PRIMARY KEY, ip VARCHAR(64) NOT NULL, hostname VARCHAR(64) NULL, kondisi VARCHAR(20) NOT NULL, id_lokasi INT NULL, jenis_barang_id INT NULL);
      CREATE TABLE lokasi_barangs (id INT PRIMARY KEY, kode VARCHAR(64));
      CREATE TABLE jenis_barangs (id INT PRIMARY KEY, nama VARCHAR(64), ping TINYINT NULL);
      INSERT INTO lokasi_barangs VALUES (4, 'X');
      INSERT INTO inventaris VALUES (1, '127.0.0.1', 'r1', 'baik', 4, 2);
    `)
    const b = await loadInventory(t, database)
    t.same([b.app.inventory.devices()[0].location, b.app.inventory.devices()[0].type], [{ id: 4, name: 'Lokasi #4' }, { id: 2, name: 'Jenis #2' }])
    t.match(lookupNotes(b), [/^lokasi_barangs has none of the name columns nama_lokasi, nama, name, lokasi \(set LOCATION_NAME_COLUMN\)/])
  })

  t.test('a failed read forgets the shape: a column added meanwhile is read next time', async (t) => {
    const { database, knex } = await customInventory(t, `
      CREATE TABLE inventaris (id INT PRIMARY KEY, ip VARCHAR(64) NOT NULL, hostname VARCHAR(64) NULL, kondisi VARCHAR(20) NOT NULL);
      INSERT INTO inventaris VALUES (1, '127.0.0.1', 'r1', 'baik');
    `)
    const b = await loadInventory(t, database)
    t.equal(b.app.inventory.devices()[0].os, null)
    // the inventory application migrates: the table is briefly gone, then back with more columns
    await knex.raw('RENAME TABLE inventaris TO inventaris_old')
    await b.app.inventory.reload()
    t.equal(b.app.inventory.status().healthy, false, 'the failed read is an inventory failure')
    t.equal(b.app.inventory.devices().length, 1, 'the last devices are kept')
    await knex.raw("ALTER TABLE inventaris_old ADD COLUMN os VARCHAR(64) NULL; UPDATE inventaris_old SET os = 'Debian'; RENAME TABLE inventaris_old TO inventaris")
    await b.app.inventory.reload()
    t.equal(b.app.inventory.status().healthy, true)
    t.equal(b.app.inventory.devices()[0].os, 'Debian', 'the new column is read')
  })
})
