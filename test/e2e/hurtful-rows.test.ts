import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import Papa from 'papaparse'
import { build, createMysqlInventory, readCsvFiles, tempDir, waitFor, MYSQL_SOCKET, NETNS_SKIP, type BuiltApp } from '../helper.js'

// Inventory rows made to hurt, in the real `inventaris` table of a real MariaDB, read by the real
// service, pinged for real (loopback only; 127.66.0.0/16 is dropped in the test namespace).
t.setTimeout(120_000)

const HEADER = 'timestamp,device_id,ip_address,hostname,ping_success,response_time_ms,error_message'
const NOT_AN_ADDRESS = 'not an IPv4/IPv6 address or hostname'
const TOO_LONG = 'ip longer than 253 characters'
const NULLABLE = ['hostname', 'spesifikasi', 'asal_rak', 'serial_number', 'product_number', 'who_fixes', 'barang_id', 'os', 'merk', 'tenggat_maintenance', 'created_at', 'updated_at']
const allNull = Object.fromEntries(NULLABLE.map((c) => [c, null]))
// eslint-disable-next-line no-control-regex
const cleaned = (s: string) => s.replace(/[\u0000-\u001f\u007f]/g, ' ')

const mysqlEnv = (database: string) => ({ DB_CONNECTION: 'mysql', DB_SOCKET: MYSQL_SOCKET, DB_DATABASE: database, DB_USERNAME: 'root', DB_PASSWORD: '' })
const statusOf = async (b: BuiltApp) => (await b.app.inject('/api/ping/service/status')).json().data

t.test('rows designed to hurt: NULLs, option-like and shell-like ips, long and control-character values', { skip: NETNS_SKIP }, async (t) => {
  const work = tempDir(t)
  const marker = join(work, 'pwned')
  const CTL = 'ctl\u0000\u0001\u0007\b\t\n\r\u001b[31mred\u001b[0m\u007fend'
  const LONG_HOST = 'h'.repeat(255)
  const valid = [
    { id: 1, ip: '127.10.0.1', ...allNull },
    { id: 2, ip: '127.10.0.2', hostname: LONG_HOST },
    { id: 3, ip: '127.10.0.3', hostname: CTL, spesifikasi: 'multi\nline\r\nspec' },
    { id: 4, ip: '127.10.0.4', hostname: '"quoted", with, commas; and \'single\'' },
    { id: 5, ip: '127.10.0.5', hostname: '=HYPERLINK("http://evil.example","x")' },
    { id: 6, ip: '127.10.0.6', hostname: `$(touch ${marker})` },
    { id: 7, ip: '127.10.0.7', hostname: '-c 1000' },
    { id: 8, ip: ' 127.10.0.8\t', hostname: 'Ünïcödé 🚀 テスト' },
    { id: 9, ip: '127.10.0.1', hostname: 'twin-of-1' },
    { id: 10, ip: '::1', hostname: '   ' },
    { id: 11, ip: '127.66.10.11', ...allNull },
    { id: 12, ip: 'LOCALHOST', hostname: null },
    { id: 13, ip: '127.10.0.13', hostname: 'lost', kondisi: 'hilang' }
  ]
  const bad: Array<[number, string, string]> = [
    [20, '-c 1000', NOT_AN_ADDRESS],
    [21, '--help', NOT_AN_ADDRESS],
    [22, '-f/etc/passwd', NOT_AN_ADDRESS],
    [23, `127.0.0.1;touch ${marker}`, NOT_AN_ADDRESS],
    [24, `$(touch ${marker})`, NOT_AN_ADDRESS],
    [25, `\`touch ${marker}\``, NOT_AN_ADDRESS],
    [26, `127.0.0.1 && touch ${marker}`, NOT_AN_ADDRESS],
    [27, `127.0.0.1|touch ${marker}`, NOT_AN_ADDRESS],
    [28, `127.0.0.1\ntouch ${marker}`, NOT_AN_ADDRESS],
    [29, 'a'.repeat(255), TOO_LONG],
    [30, ('b'.repeat(63) + '.').repeat(4).slice(0, 255), TOO_LONG],
    [31, '127.0.0.1\u0000', NOT_AN_ADDRESS],
    [32, '\u001b[2J127.0.0.1', NOT_AN_ADDRESS],
    [33, '', 'empty ip'],
    [34, ' \t ', 'empty ip'],
    [35, '127.0.0.1 -c 1000', NOT_AN_ADDRESS],
    [36, '::1 --help', NOT_AN_ADDRESS],
    [37, '127.0.0.1\u202e', NOT_AN_ADDRESS]
  ]
  const { database } = await createMysqlInventory(t, [...valid, ...bad.map(([id, ip]) => ({ id, ip, ...allNull }))])
  const MONITORED = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]

  for (const backend of ['fping', 'ping']) {
    t.test(`${backend} backend`, async (t) => {
      const csvDir = join(work, `csv-${backend}`)
      const b = await build(t, { ...mysqlEnv(database), CSV_OUTPUT_DIR: csvDir, PING_BACKEND: backend, PING_INTERVAL: '1', PING_TIMEOUT: '0.5', DEVICE_CHECK_INTERVAL: '1' })
      await b.app.service.start()
      t.equal(b.app.pingEngine.backend, backend)
      // two reloads of the same rows at least, which must not log them again
      let loads = 0
      let lastLoad = b.app.inventory.status().last_loaded_at
      await waitFor(() => {
        const at = b.app.inventory.status().last_loaded_at
        if (at !== lastLoad) { loads++; lastLoad = at }
        return loads >= 2 && b.app.monitor.status().cycles >= 3
      }, 20_000, 'three cycles and two reloads')
      await b.app.monitor.stop()
      await b.app.resultWriter.settled()

      const s = await statusOf(b)
      t.equal(s.devices, MONITORED.length, 'monitored devices')
      t.equal(s.skipped_rows, bad.length, 'skipped rows counted')
      t.same(s.skipped.map((x: any) => [x.device_id, x.ip, x.reason]), bad, 'each skipped with its raw value and reason')
      t.equal(b.app.inventory.status().lost_rows, 1, 'the hilang row is left out, not skipped')

      const logged = b.logs.find('skipped inventory row')
      t.same(logged.map((l) => [l.device_id, l.ip, l.reason]), bad, 'each bad row logged once with its reason, not again at the reloads')
      t.ok(b.logs.lines.every((l) => typeof l.level === 'number'), 'every log line is whole JSON, whatever the values held')

      t.notOk(existsSync(marker), 'no value was ever run as a command')

      // latest: raw inventory text in JSON, fallbacks where the hostname is missing
      const latest = (await b.app.inject('/api/ping/latest')).json().data
      const byId = new Map<number, any>(latest.map((r: any) => [r.device_id, r]))
      t.same([...byId.keys()].sort((x, y) => x - y), MONITORED)
      t.match(byId.get(1), { ip_address: '127.10.0.1', hostname: '127.10.0.1', ping_success: true })
      t.equal(byId.get(2).hostname, LONG_HOST)
      t.equal(byId.get(3).hostname, CTL, 'the API gives the inventory text as it is (JSON escapes it)')
      t.match(byId.get(8), { ip_address: '127.10.0.8', ping_success: true })
      t.equal(byId.get(8).hostname, 'Ünïcödé 🚀 テスト')
      t.ok(MONITORED.filter((id) => id !== 11).every((id) => byId.get(id).ping_success === true), 'every live device up')
      t.match(byId.get(9), { ip_address: '127.10.0.1', hostname: 'twin-of-1', ping_success: true })
      t.match(byId.get(10), { ip_address: '::1', hostname: '::1', ping_success: true })
      t.match(byId.get(11), { ip_address: '127.66.10.11', hostname: '127.66.10.11', ping_success: false, error_message: 'No response (timeout)' })
      t.match(byId.get(12), { ip_address: 'LOCALHOST', hostname: 'LOCALHOST', ping_success: true })

      // CSV: every file parses, one line per row, control characters became spaces, text round-trips
      const files = await readdirCsv(csvDir)
      t.ok(files.length >= 1)
      let lines = 0
      for (const f of files) {
        const text = readFileSync(join(csvDir, f), 'utf8')
        t.same(Papa.parse(text, { skipEmptyLines: true }).errors, [], `${f} parses`)
        lines += text.trimEnd().split('\n').length - 1
      }
      const rows = readCsvFiles(csvDir, 'ping_results', HEADER)
      t.equal(rows.length, lines, 'one line per row: no value split a row')
      t.ok(rows.every((r) => r.length === 7), 'seven fields in every row')
      t.ok(rows.every((r) => MONITORED.includes(Number(r[1]))), 'no skipped row ever got a result')
      const last = new Map(rows.map((r) => [Number(r[1]), r]))
      t.same(last.get(1)?.slice(2, 5), ['127.10.0.1', '127.10.0.1', 'true'], 'the all-NULL row: pinged, hostname falls back to the ip')
      t.equal(last.get(2)?.[3], LONG_HOST)
      t.equal(last.get(3)?.[3], cleaned(CTL), 'control characters became spaces')
      t.equal(last.get(4)?.[3], valid[3].hostname, 'quotes and commas round-trip')
      t.equal(last.get(5)?.[3], valid[4].hostname, 'formula-like text is kept as text')
      t.equal(last.get(6)?.[3], `$(touch ${marker})`)
      t.equal(last.get(7)?.[3], '-c 1000')
      t.equal(last.get(8)?.[3], 'Ünïcödé 🚀 テスト')
      t.same(last.get(11)?.slice(4), ['false', '', 'No response (timeout)'])

      // the service's own reader takes the files back at start (history of a device with hurtful text);
      // once is enough: the files do not depend on the backend
      if (backend !== 'fping') return
      const again = await build(t, { ...mysqlEnv(database), CSV_OUTPUT_DIR: csvDir, PING_BACKEND: backend, PING_INTERVAL: '60', PING_TIMEOUT: '0.5' })
      await again.app.service.start()
      await waitFor(() => again.logs.find('earlier results read back').length === 1, 15_000, 'read back')
      await again.app.monitor.stop()
      const hist = (await again.app.inject('/api/ping/device/4?hours=1')).json()
      t.ok(hist.count >= 3, `${hist.count} rows of device 4 read back`)
      t.ok(hist.data.every((r: any) => r.hostname === valid[3].hostname))
      t.notOk(again.logs.find('earlier results read back')[0].malformed, 'no malformed line')
      t.equal(again.logs.find(/could not read/).length, 0)
    })
  }
})

async function readdirCsv (dir: string): Promise<string[]> {
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('ping_results_')).sort() : []
}
