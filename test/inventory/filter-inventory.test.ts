import t from 'tap'
import { classifyAddress, filterInventory, makeDevice, NO_LOCATION, NO_LOOKUPS, NO_TYPE, toLocalDate, type InventoryLookups, type InventoryRow, type TypeInfo } from '../../src/inventory/filter-inventory.js'

const row = (id: number | string | null, ip: string | null, kondisi: string | null = 'baik', hostname: string | null = null): InventoryRow => ({ id, ip, hostname, kondisi })

t.test('kondisi: hilang is left out in any case and with spaces; maintenance and unknown values are monitored', async (t) => {
  const r = filterInventory([
    row(1, '127.0.0.1', 'baik'),
    row(2, '127.0.0.2', 'maintenance'),
    row(3, '127.0.0.3', 'hilang'),
    row(4, '127.0.0.4', '  HILANG '),
    row(5, '127.0.0.5', 'rusak'),
    row(6, '127.0.0.6', null)
  ])
  t.same(r.devices.map((d) => d.device_id), [1, 2, 5, 6])
  t.equal(r.lost, 2)
  t.same(r.skipped, [])
})

t.test('ip: trimmed literals and hostnames are monitored, with their family', async (t) => {
  const r = filterInventory([
    row(1, ' 127.0.0.1 '),
    row(2, '::1'),
    row(3, 'localhost'),
    row(4, 'switch-1.campus.example.'),
    row(5, '\t10.0.0.1\n')
  ])
  t.same(r.devices.map((d) => [d.device_id, d.ip_address, d.family]), [
    [1, '127.0.0.1', 4], [2, '::1', 6], [3, 'localhost', 0], [4, 'switch-1.campus.example.', 0], [5, '10.0.0.1', 4]
  ])
})

t.test('bad ip values are skipped with a reason and never reach a command line', async (t) => {
  const bad = ['', '   ', 'bad host!', '-c 100', '--help', '1.2.3.4;reboot', '$(reboot)', '`id`', 'a'.repeat(300), '127.0.0.1 -f', 'host_name', '-leading.example', 'trailing-.example', '300.1.1.1', '1.2.3', 'fe80::1%$(x)', 'fe80::1%--help', 'fe80::1%-c1000', 'fe80::1%.', '..', 'a..b', null]
  const r = filterInventory(bad.map((ip, i) => row(i + 1, ip)))
  t.equal(r.devices.length, 0, 'none monitored')
  t.equal(r.skipped.length, bad.length, 'each skipped')
  for (const s of r.skipped) t.ok(s.reason.length > 0)
  t.match(r.skipped[0].reason, /empty/)
  t.match(r.skipped[8].reason, /longer than 253/)
})

t.test('hostname falls back to the ip; duplicate ips keep their own rows; bad ids are skipped', async (t) => {
  const r = filterInventory([
    row(2, '127.0.0.7', 'baik', '  '),
    row(1, '127.0.0.7', 'baik', 'printer'),
    row('18446744073709551615', '127.0.0.8'),
    row(null, '127.0.0.9'),
    row(1, '127.0.0.10')
  ])
  t.same(r.devices, [
    makeDevice({ device_id: 1, ip_address: '127.0.0.7', hostname: 'printer', family: 4 }),
    makeDevice({ device_id: 2, ip_address: '127.0.0.7', hostname: '127.0.0.7', family: 4 })
  ])
  t.same(r.skipped.map((s) => s.reason), ['id is not a non-negative integer', 'id is not a non-negative integer', 'duplicate id'])
})

t.test('classifyAddress', async (t) => {
  t.same(classifyAddress('2001:db8::1'), { family: 6 })
  t.same(classifyAddress('fe80::1%eth0'), { family: 6 }, 'link-local with a zone id')
  t.same(classifyAddress('a'.repeat(63) + '.example'), { family: 0 })
  t.match(classifyAddress('a'.repeat(64) + '.example'), { reason: /not an IPv4/ })
  t.match(classifyAddress('1.2.3.4.5'), { reason: /not an IPv4/ })
})

t.test('facts: location and type names from the lookups, fallbacks, rack as text, trimmed merk and os', async (t) => {
  const lookups: InventoryLookups = {
    locations: new Map<number, string | null>([[1, 'Gedung A'], [2, null]]),
    types: new Map<number, TypeInfo>([[1, { name: 'PC', ping: true }], [3, { name: 'Monitor', ping: false }], [4, { name: null, ping: true }]])
  }
  const r = filterInventory([
    { ...row(1, '127.0.0.1'), id_lokasi: 1, jenis_barang_id: 1, asal_rak: 12, merk: ' HP ', os: '' },
    { ...row(2, '127.0.0.2'), id_lokasi: '2', jenis_barang_id: '4', asal_rak: ' R-3 ' },
    { ...row(3, '127.0.0.3'), id_lokasi: 8, jenis_barang_id: 9 },
    { ...row(4, '127.0.0.4'), id_lokasi: null, jenis_barang_id: -1 },
    { ...row(5, ''), id_lokasi: 1, jenis_barang_id: 3 },
    { ...row(6, '127.0.0.6', 'hilang'), id_lokasi: 1, jenis_barang_id: 3 },
    { ...row(7, 'bad host!'), id_lokasi: 1, jenis_barang_id: 3 }
  ], lookups)
  t.same(r.devices.map((d) => [d.device_id, d.location, d.type, d.rack, d.merk, d.os]), [
    [1, { id: 1, name: 'Gedung A' }, { id: 1, name: 'PC' }, '12', 'HP', null],
    [2, { id: 2, name: 'Lokasi #2' }, { id: 4, name: 'Jenis #4' }, 'R-3', null, null],
    [3, { id: 8, name: 'Lokasi #8' }, { id: 9, name: 'Jenis #9' }, null, null, null],
    [4, NO_LOCATION, NO_TYPE, null, null, null]
  ])
  t.equal(r.notPinged, 2, 'rows 5 and 7: their type says ping = 0, whatever their address')
  t.same(r.notPingedTypes, [{ id: 3, name: 'Monitor', rows: 2 }])
  t.equal(r.lost, 1, 'hilang is counted as hilang, even for a type that is not pinged')
  t.same(r.skipped, [])
  const many = filterInventory([1, 2, 3].map((i) => ({ ...row(i, `127.0.0.${i}`), id_lokasi: 1 })), lookups)
  t.ok(many.devices.every((d) => d.location === many.devices[0].location), 'one location object per id, shared by its devices')
})

t.test('without lookups, or without the columns, the defaults stay', async (t) => {
  const plain = filterInventory([row(1, '127.0.0.1', 'Maintenance ')])
  t.same(plain.devices, [makeDevice({ device_id: 1, ip_address: '127.0.0.1', hostname: '127.0.0.1', family: 4, kondisi: 'maintenance' })])
  const noLookups = filterInventory([{ ...row(1, '127.0.0.1'), id_lokasi: 5, jenis_barang_id: 3 }], NO_LOOKUPS)
  t.same([noLookups.devices[0].location, noLookups.devices[0].type], [{ id: 5, name: 'Lokasi #5' }, { id: 3, name: 'Jenis #3' }], 'every type is pinged when jenis_barangs cannot be read')
  t.equal(noLookups.notPinged, 0)
})

t.test('tenggat_maintenance: a Date by its local date parts, a string by its date part, zero and impossible dates are none', async (t) => {
  const tz = process.env.TZ
  // east of UTC: local midnight is the previous day in UTC, which a toISOString() would report
  process.env.TZ = 'Asia/Jakarta'
  t.teardown(() => { if (tz === undefined) delete process.env.TZ; else process.env.TZ = tz })
  const midnight = new Date(2026, 11, 31)
  t.equal(midnight.toISOString().slice(0, 10), '2026-12-30', 'the trap is real in this time zone')
  t.equal(toLocalDate(midnight), '2026-12-31')
  t.equal(toLocalDate('2026-12-31'), '2026-12-31')
  t.equal(toLocalDate(' 2027-01-05 00:00:00'), '2027-01-05')
  for (const v of ['0000-00-00', '2026-02-30', '2026-13-01', 'soon', '', null, undefined, 20261231, new Date(Number.NaN)]) t.equal(toLocalDate(v), null, String(v))
  const r = filterInventory([{ ...row(1, '127.0.0.1', 'maintenance'), tenggat_maintenance: midnight }])
  t.equal(r.devices[0].maintenance_until, '2026-12-31')
})
