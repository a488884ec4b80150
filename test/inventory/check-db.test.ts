import t from 'tap'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createMysqlInventory, MYSQL_SOCKET, NETNS_SKIP, tempDir } from '../helper.js'

// `npm run check:db` as users run it (the built script), on a real MariaDB and on the embedded demo.
const CHECK_DB_JS = fileURLToPath(new URL('../../dist/src/scripts/check-db.js', import.meta.url))

function checkDb (cwd: string, env: Record<string, string>): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHECK_DB_JS], { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

t.test('check:db on MariaDB: locations and types with their devices, the types not pinged; without a grant on lokasi_barangs', { skip: NETNS_SKIP }, async (t) => {
  const { database, knex } = await createMysqlInventory(t, [
    { id: 1, ip: '127.0.0.1', hostname: 'sw-a', id_lokasi: 1, jenis_barang_id: 2 },
    { id: 2, ip: '127.0.0.2', hostname: 'pc-a', id_lokasi: 1, jenis_barang_id: 1, kondisi: 'maintenance', tenggat_maintenance: '2026-12-24' },
    { id: 3, ip: '127.0.0.3', hostname: 'pc-b', id_lokasi: 2, jenis_barang_id: 1 },
    { id: 4, ip: '', hostname: 'monitor-a', id_lokasi: 1, jenis_barang_id: 3 },
    { id: 5, ip: '127.0.0.5', hostname: 'odd', id_lokasi: 7, jenis_barang_id: 9 },
    { id: 6, ip: '127.0.0.6', hostname: 'lost', id_lokasi: 2, jenis_barang_id: 1, kondisi: 'hilang' }
  ])
  await knex.raw(`
    INSERT INTO lokasi_barangs (id, nama_lokasi) VALUES (1, 'Gedung A'), (2, 'Gedung B'), (3, 'Gudang');
    INSERT INTO jenis_barangs (id, nama, ping) VALUES (1, 'PC', 1), (2, 'Switch', 1), (3, 'Monitor', 0);
  `)
  const env = { DB_CONNECTION: 'mysql', DB_SOCKET: MYSQL_SOCKET, DB_DATABASE: database, DB_USERNAME: 'root', DB_PASSWORD: '' }
  const full = await checkDb(tempDir(t), env)
  t.equal(full.code, 0, full.stderr)
  const lines = full.stdout.split('\n')
  t.ok(lines.includes('Connected. 6 rows in inventaris.'))
  t.ok(lines.includes('Columns read from inventaris: id, ip, hostname, kondisi, id_lokasi, asal_rak, jenis_barang_id, merk, os, tenggat_maintenance'))
  const section = (start: RegExp) => {
    const i = lines.findIndex((l) => start.test(l))
    const out = [lines[i]]
    for (let j = i + 1; lines[j]?.startsWith('  '); j++) out.push(lines[j])
    return out
  }
  t.same(section(/^Locations/), [
    'Locations (lokasi_barangs.nama_lokasi): 3 in the table, 3 locations with monitored devices',
    '  #1 Gedung A: 2 devices',
    '  #2 Gedung B: 1 device',
    '  #3 Gudang: 0 devices',
    '  #7 Lokasi #7: 1 device (no row in lokasi_barangs)'
  ])
  t.same(section(/^Types/), [
    'Types (jenis_barangs.nama, ping column ping): 3 in the table, 3 types with monitored devices',
    '  #1 PC: 2 devices',
    '  #2 Switch: 1 device',
    '  #3 Monitor: not pinged (ping = 0), 1 row left out',
    '  #9 Jenis #9: 1 device (no row in jenis_barangs)'
  ])
  t.ok(lines.includes('Devices that would be monitored: 4'))
  t.ok(lines.includes("Rows left out because kondisi is 'hilang': 1"))
  t.ok(lines.includes('Rows left out because their type is not pinged (jenis_barangs.ping = 0): 1 (Monitor)'))
  t.ok(lines.includes("Devices whose kondisi is 'maintenance': 1 (pc-a until 2026-12-24)"))
  t.ok(lines.includes('Rows skipped: 0'), 'the monitor without an address is not a skipped row')

  // a user who may read inventaris and jenis_barangs only
  const user = `mpm_c_${randomBytes(4).toString('hex')}`
  const password = `pw-${randomBytes(6).toString('hex')}`
  await knex.raw(`CREATE USER '${user}'@'localhost' IDENTIFIED BY '${password}'`)
  t.teardown(() => knex.raw(`DROP USER IF EXISTS '${user}'@'localhost'`))
  await knex.raw(`GRANT SELECT ON \`${database}\`.inventaris TO '${user}'@'localhost'`)
  await knex.raw(`GRANT SELECT ON \`${database}\`.jenis_barangs TO '${user}'@'localhost'`)
  const limited = await checkDb(tempDir(t), { ...env, DB_USERNAME: user, DB_PASSWORD: password })
  t.equal(limited.code, 0, limited.stderr)
  const l2 = limited.stdout.split('\n')
  t.ok(l2.includes('Note: lokasi_barangs not found or not readable by this database user: locations show as Lokasi #<id>'), limited.stdout)
  t.ok(l2.includes('Locations (lokasi_barangs not read; shown as Lokasi #<id>): 0 in the table, 3 locations with monitored devices'))
  t.ok(l2.includes('  #1 Lokasi #1: 2 devices'))
  t.ok(l2.includes('  #3 Monitor: not pinged (ping = 0), 1 row left out'), 'the types are still read')
  t.notOk(limited.stdout.includes(password) || limited.stderr.includes(password))
})

t.test('check:db on the embedded demo', async (t) => {
  const r = await checkDb(tempDir(t), {})
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^Locations \(lokasi_barangs\.nama_lokasi\): 3 in the table/m)
  t.match(r.stdout, /^ {2}#2 Switch: 2 devices$/m)
  t.match(r.stdout, /^ {2}#3 Monitor: not pinged \(ping = 0\), 1 row left out$/m)
  t.match(r.stdout, /^Devices whose kondisi is 'maintenance': 1 \(demo-pc-lab until \d{4}-\d{2}-\d{2}\)$/m)
})
