import t from 'tap'
import { InventoryService, SKIPPED_LOG_ROWS } from '../../src/inventory/inventory-service.js'
import type { InventoryRow } from '../../src/inventory/filter-inventory.js'

// How skipped rows reach the log: once each, the first few of a load one by one, the rest summed up.
t.test('skipped rows: once each, a summary beyond the first few, again after a fix and a new break', async (t) => {
  let rows: InventoryRow[] = []
  const lines: Array<{ msg: string, o: any }> = []
  const push = (o: object, msg?: string) => lines.push({ msg: String(msg), o })
  const inv = new InventoryService({ source: 'test', load: async () => ({ rows }), reloadMs: 3_600_000, firstLoadRetryMs: 3_600_000, log: { info: push, warn: push, error: push }, secrets: [], onChange: () => {} })
  t.teardown(() => inv.stop())
  const one = () => lines.filter((l) => l.msg === 'skipped inventory row')
  const summaries = () => lines.filter((l) => l.msg.startsWith('more skipped inventory rows'))

  const good = Array.from({ length: 100 }, (_, i) => ({ id: i + 1, ip: `127.0.1.${i + 1}`, hostname: null, kondisi: 'baik' }))
  const bad = Array.from({ length: 50 }, (_, i) => ({ id: 1000 + i, ip: i % 2 === 0 ? '-c 1000' : '', hostname: null, kondisi: 'baik' }))
  rows = [...good, ...bad]
  await inv.start()
  t.equal(inv.status().skipped_rows, 50)
  t.equal(one().length, SKIPPED_LOG_ROWS, 'the first ones one by one')
  t.same(summaries().map((l) => l.o), [{ rows: 50 - SKIPPED_LOG_ROWS, skipped_rows: 50, reasons: { 'not an IPv4/IPv6 address or hostname': 15, 'empty ip': 15 } }], 'the rest in one line, by reason')

  await inv.reload()
  t.equal(one().length, SKIPPED_LOG_ROWS, 'a reload of the same rows logs nothing')
  t.equal(summaries().length, 1)

  rows = [...good, ...bad.slice(1)]
  await inv.reload()
  rows = [...good, ...bad, { id: 2000, ip: '$(reboot)', hostname: null, kondisi: 'baik' }]
  await inv.reload()
  t.same(one().slice(SKIPPED_LOG_ROWS).map((l) => l.o.device_id), [1000, 2000], 'a row fixed and broken again, and a new one, are logged')
  t.equal(summaries().length, 1)
  t.equal(inv.status().skipped_rows, 51)
})
