import t from 'tap'
import { classifyAddress, filterInventory, makeDevice, type InventoryRow } from '../../src/inventory/filter-inventory.js'

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
