import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { build, createMysqlInventory, readCsvFiles, waitFor, MYSQL_SOCKET, NETNS_SKIP } from '../helper.js'
import { SKIPPED_LOG_ROWS } from '../../src/inventory/inventory-service.js'

// A 100,000-row inventory in the real `inventaris` table of a real MariaDB, read by the real service
// and pinged for real (loopback only; 127.66.0.0/16 is dropped in the test namespace).
t.setTimeout(120_000)

const HEADER = 'timestamp,device_id,ip_address,hostname,ping_success,response_time_ms,error_message'
const NOT_AN_ADDRESS = 'not an IPv4/IPv6 address or hostname'
const TOO_LONG = 'ip longer than 253 characters'

// 100,000 rows with a few thousand bad ones among them: loaded, counted, summarised in the log, and one
// full cycle gives every valid device exactly one result.
const TOTAL = 100_000
const BAD_EVERY = 40
const MARKER = join(tmpdir(), `mpm-pwned-${randomBytes(4).toString('hex')}`)
const BAD_VALUES: Array<[string, string]> = [
  ['-c 1000', NOT_AN_ADDRESS], ['--help', NOT_AN_ADDRESS], [`127.0.0.1;touch ${MARKER}`, NOT_AN_ADDRESS], [`$(touch ${MARKER})`, NOT_AN_ADDRESS], ['$(reboot)', NOT_AN_ADDRESS],
  ['', 'empty ip'], ['bad host!', NOT_AN_ADDRESS], ['x'.repeat(255), TOO_LONG], ['300.1.1.1', NOT_AN_ADDRESS], ['127.0.0.1\n-c 5', NOT_AN_ADDRESS]
]

interface BigRow { id: number, ip: string, hostname: string | null, kondisi: string }

function bigInventory (): { rows: BigRow[], bad: Map<number, string>, lost: number, silent: Set<number> } {
  const rows: BigRow[] = []
  const bad = new Map<number, string>()
  const silent = new Set<number>()
  let lost = 0
  for (let id = 1; id <= TOTAL; id++) {
    let ip = `127.${20 + (id >> 16)}.${(id >> 8) & 255}.${id & 255}`
    let kondisi = 'baik'
    let hostname: string | null = `host-${id}`
    if (id % BAD_EVERY === 0) {
      const [value, reason] = BAD_VALUES[(id / BAD_EVERY) % BAD_VALUES.length]
      ip = value
      bad.set(id, reason)
    } else if (id % 250 === 1) {
      kondisi = 'hilang'
      lost++
    } else if (id % 2000 === 3) {
      ip = `127.66.${(id >> 8) & 255}.${id & 255}`
      silent.add(id)
    } else if (id % 1000 === 7) {
      ip = '127.0.0.1'
    }
    if (id % 100 === 13) hostname = `rack "A", unit ${id}\r\n=SUM(1)`
    else if (id % 100 === 17) hostname = null
    rows.push({ id, ip, hostname, kondisi })
  }
  return { rows, bad, lost, silent }
}

t.test('100,000 rows with a few thousand bad ones: loaded, counted, summarised, one full cycle', { skip: NETNS_SKIP }, async (t) => {
  const { rows, bad, lost, silent } = bigInventory()
  const { database, knex } = await createMysqlInventory(t, [])
  const t0 = Date.now()
  for (let i = 0; i < rows.length; i += 5000) {
    await knex('inventaris').insert(rows.slice(i, i + 5000).map((r) => ({ ...r, jenis_barang_id: 1, id_lokasi: 1 })))
  }
  t.equal(Number((await knex('inventaris').count({ n: '*' }))[0].n), TOTAL)
  t.comment(`inserted ${TOTAL} rows in ${Date.now() - t0} ms`)
  const monitored = TOTAL - bad.size - lost

  // one cycle in the test's time: the next would start after 30 s
  const b = await build(t, { DB_CONNECTION: 'mysql', DB_SOCKET: MYSQL_SOCKET, DB_DATABASE: database, DB_USERNAME: 'root', DB_PASSWORD: '', PING_INTERVAL: '30', PING_TIMEOUT: '3', DEVICE_CHECK_INTERVAL: '600', LOG_LEVEL: 'info' })
  const heapBefore = process.memoryUsage().heapUsed
  const t1 = Date.now()
  await b.app.service.start()
  t.comment(`inventory loaded and services started in ${Date.now() - t1} ms`)
  await waitFor(() => b.app.monitor.status().cycles >= 1, 60_000, 'the first cycle')
  const health = (await b.app.inject('/api/health')).json()
  t.match(health, { inventory: { healthy: true, devices: TOTAL - bad.size - lost, skipped_rows: bad.size }, monitor: { running: true, cycles: 1 } })
  await b.app.monitor.stop()
  await b.app.resultWriter.settled()
  const cycle = b.app.monitor.status().last_cycle!
  t.comment(`cycle: ${JSON.stringify(cycle)}`)

  const s = (await b.app.inject('/api/ping/service/status')).json().data
  t.equal(s.devices, monitored, `${monitored} devices monitored`)
  t.equal(s.skipped_rows, bad.size, `${bad.size} skipped`)
  const all = b.app.inventory.status().skipped
  t.equal(all.length, bad.size)
  t.same(s.skipped, all.slice(0, 1000), 'the answer lists the first 1,000; skipped_rows counts them all')
  const reasons: Record<string, number> = {}
  for (const x of all) {
    // every row of this inventory has an id, so none is null here
    if (bad.get(x.device_id!) !== x.reason) t.fail(`row ${x.device_id}: ${x.reason}`)
    reasons[x.reason] = (reasons[x.reason] ?? 0) + 1
  }
  t.equal(b.app.inventory.status().lost_rows, lost)
  t.match(cycle, { devices: monitored, down: silent.size, up: monitored - silent.size })

  // the log: the first few skipped rows one by one, the rest in one summary line with the same counts
  t.equal(b.logs.find('skipped inventory row').length, SKIPPED_LOG_ROWS)
  const summary = b.logs.find(/^more skipped inventory rows/)
  t.equal(summary.length, 1)
  const logged: Record<string, number> = { ...summary[0].reasons }
  for (const l of b.logs.find('skipped inventory row')) logged[l.reason] = (logged[l.reason] ?? 0) + 1
  t.same(logged, reasons, 'one-by-one lines and the summary add up to the skipped rows, by reason')
  // the helper logs at debug level (one line per CSV file written, among others): count what info shows
  const shown = b.logs.lines.filter((l) => l.level >= 30)
  t.ok(shown.length < 100, `${shown.length} log lines at info and above`)
  t.ok(JSON.stringify(shown).length < 100_000, 'the log stays small')
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore
  t.comment(`heap growth ${Math.round(heapGrowth / 1e6)} MB, rss ${Math.round(process.memoryUsage().rss / 1e6)} MB`)
  t.ok(heapGrowth < 800e6, 'memory stays bounded')

  // one result per monitored device in the CSV files, all parsing, quoting right
  const csv = readCsvFiles(b.csvDir, 'ping_results', HEADER)
  t.equal(csv.length, monitored, 'one row per monitored device')
  const ids = new Set<number>()
  let problems = 0
  for (const r of csv) {
    const id = Number(r[1])
    ids.add(id)
    const expectHost = id % 100 === 13 ? `rack "A", unit ${id}  =SUM(1)` : id % 100 === 17 ? r[2] : `host-${id}`
    const up = !silent.has(id)
    if (r.length !== 7 || bad.has(id) || r[3] !== expectHost || r[4] !== String(up) || (up ? r[6] !== '' : r[6] !== 'No response (timeout)')) {
      if (problems++ < 5) t.fail(`row ${r.join(',')}`)
    }
  }
  t.equal(problems, 0, 'every row right')
  t.equal(ids.size, monitored, 'no device twice')
  const files = readdirSync(b.csvDir).filter((n) => n.startsWith('ping_results_'))
  t.ok(files.length >= Math.ceil(monitored / 1000), `${files.length} files (MAX_CSV_RECORDS 1000)`)
  const quoted = readFileSync(join(b.csvDir, files.sort()[0]), 'utf8').split('\n').find((l) => /^[^,]+,13,/.test(l))
  t.match(quoted, /,"rack ""A"", unit 13 {2}=SUM\(1\)",/, 'quotes doubled, the field quoted, CR LF became spaces')
  t.equal((await b.app.inject('/api/ping/status')).json().data.total_devices, monitored)
  t.notOk(existsSync(MARKER), 'no value was ever run as a command')
})
