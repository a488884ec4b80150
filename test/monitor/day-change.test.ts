import t from 'tap'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Papa from 'papaparse'
import { Monitor, type CycleInfo } from '../../src/monitor/monitor.js'
import type { CycleResult } from '../../src/monitor/cycle.js'
import { PingEngine } from '../../src/ping/ping-engine.js'
import { defaultFlavor } from '../../src/ping/ping-program.js'
import { resolveBackend } from '../../src/ping/ping-backend.js'
import { CsvWriter } from '../../src/storage/csv-writer.js'
import { CSV_HEADER, cycleCsvRun } from '../../src/storage/result-row.js'
import { localDateKey } from '../../src/lib/local-time.js'
import { makeDevice, type Device } from '../../src/inventory/filter-inventory.js'
import { tempDir, waitFor, NETNS_SKIP } from '../helper.js'

// Local midnight falls in the middle of one cycle. The service has no clock to inject as a whole, so
// the test composes what the monitor plugin composes: the Monitor, the real ping engine (worker
// threads, real fping/ping processes to loopback) and the real CsvWriter, all on one injected clock:
// the wall clock shifted to just before New Year's midnight in Jakarta (+07:00, so that local and UTC
// dates differ). A row's time is the moment its ping answered, taken by the ping worker thread from
// the wall clock; the engine's answers are shifted by the same amount. Live devices answer at once,
// silent ones (127.66.0.0/16 is dropped in the test namespace) after PING_TIMEOUT, so one cycle's rows
// fall on both sides of midnight, interleaved in device order.
process.env.TZ = 'Asia/Jakarta'

// 2 s beyond the timeout for a cycle's own work: with 1 s, a loaded CI machine overran a cycle once
// (a fourth cycle, one overrun), which this correctness test is not about
const INTERVAL_MS = 4000
const TIMEOUT_MS = 2000
const DEVICES = 12
const MAX_RECORDS = 10
const CYCLES = 3
const DAY1 = '20261231'
const DAY2 = '20270101'
const OLD_DAY = '20261230'
const LIVE = (id: number) => id % 2 === 1

const devices: Device[] = Array.from({ length: DEVICES }, (_, i) => {
  const id = i + 1
  const ip = LIVE(id) ? `127.7.0.${id}` : `127.66.7.${id}`
  return makeDevice({ device_id: id, ip_address: ip, hostname: `dev-${id}`, family: 4 })
})

const backends = (['fping', 'ping'] as const).map((b) => ({ backend: b, skip: NETNS_SKIP || (b === 'fping' && resolveBackend('auto', 'fping') !== 'fping' ? 'fping not installed' : false) }))

for (const { backend, skip } of backends) {
  t.test(`${backend} backend: a cycle across local midnight writes each row to the file of its own date, once`, { skip }, async (t) => {
    const midnight = new Date(2027, 0, 1, 0, 0, 0, 0).getTime()
    t.equal(new Date(midnight).getTimezoneOffset(), -420, 'the test runs in +07:00')
    t.equal(localDateKey(midnight - 1), DAY1)
    t.equal(localDateKey(midnight), DAY2)

    const dir = tempDir(t)
    // a file of the day before yesterday's date: CSV_RETENTION_DAYS=1 keeps it until the day changes
    writeFileSync(join(dir, `ping_results_${OLD_DAY}.csv`), CSV_HEADER + '2026-12-30T12:00:00.000+07:00,1,127.7.0.1,dev-1,true,0.05,\n')

    let shift = 0
    const now = () => Date.now() + shift
    const logs: Array<{ msg: string, o: any }> = []
    const log = {
      info: (o: object, msg?: string) => logs.push({ msg: String(msg), o }),
      warn: (o: object, msg?: string) => logs.push({ msg: String(msg), o }),
      error: (o: object, msg?: string) => logs.push({ msg: String(msg), o }),
      debug: (o: object, msg?: string) => logs.push({ msg: String(msg), o })
    }
    const writes = () => logs.filter((l) => l.msg === 'CSV rows written')

    const engine = new PingEngine({ backend, command: 'ping', flavor: defaultFlavor(), fpingCommand: 'fping', intervalMs: INTERVAL_MS, timeoutMs: TIMEOUT_MS, maxInFlight: 20, parallel: true })
    t.teardown(() => engine.close())
    // start every worker thread, as service.start() does
    await engine.pingAll(Array.from({ length: engine.threads }, (_, i) => ({ target: `127.0.0.${i + 1}`, family: 4 as const })))

    const writer = new CsvWriter({ dir, maxRecords: MAX_RECORDS, retentionDays: 1, bufferMaxRows: 10_000, log, now })
    await writer.init()
    t.ok(existsSync(join(dir, `ping_results_${OLD_DAY}.csv`)), 'a day within retention is kept at start')

    const cycles: Array<{ cycle: CycleResult, info: CycleInfo, writes: number, oldFileAfter: boolean }> = []
    const monitor = new Monitor({
      intervalMs: INTERVAL_MS,
      stopGraceMs: TIMEOUT_MS + 2000,
      devices: () => devices,
      ping: async (targets, signal) => {
        const outcomes = await engine.pingAll(targets, signal)
        for (const o of outcomes.values()) o.at += shift
        return outcomes
      },
      // as the monitor plugin does: the writer orders and retries on its own, the cycle does not wait
      onCycle: (cycle, info) => {
        const before = writes().length
        const entry = { cycle, info, writes: 0, oldFileAfter: true }
        cycles.push(entry)
        writer.writeRun(cycleCsvRun(cycle)).then(() => {
          entry.writes = writes().length - before
          entry.oldFileAfter = existsSync(join(dir, `ping_results_${OLD_DAY}.csv`))
        }).catch(() => {})
      },
      log,
      now
    })
    t.teardown(() => monitor.stop())

    // cycle 1 starts 5 s before midnight, cycle 2 1 s before it: its live rows come before midnight,
    // its silent rows about TIMEOUT_MS later, after it; cycle 3 starts 3 s after midnight
    shift = midnight - INTERVAL_MS - 1000 - Date.now()
    monitor.start()
    await waitFor(() => monitor.status().cycles >= CYCLES, CYCLES * INTERVAL_MS + 15_000, `${CYCLES} cycles`)
    await monitor.stop()
    await writer.drain()
    t.equal(monitor.status().cycles, CYCLES)
    t.equal(monitor.status().overruns, 0, 'no overruns')

    // the injected clock drove the cycle times
    t.match(cycles.map((c) => c.info.started_at), [/^2026-12-31T23:59:5\d\.\d{3}\+07:00$/, /^2026-12-31T23:59:5\d\.\d{3}\+07:00$/, /^2027-01-01T00:00:\d\d\.\d{3}\+07:00$/], 'cycle start times on the injected clock, local time')

    // the straddling cycle: live devices answered before midnight, silent ones after
    const straddling = cycles[1]
    const before = straddling.cycle.rowsOnce().filter((r) => r.at < midnight).map((r) => r.row.device_id)
    const after = straddling.cycle.rowsOnce().filter((r) => r.at >= midnight).map((r) => r.row.device_id)
    t.same(before, devices.filter((d) => LIVE(d.device_id)).map((d) => d.device_id), 'live devices answered before midnight')
    t.same(after, devices.filter((d) => !LIVE(d.device_id)).map((d) => d.device_id), 'silent devices timed out after midnight')
    t.ok(straddling.cycle.rowsOnce().every((r) => r.row.ping_success === LIVE(r.row.device_id)), 'live up, silent down')
    t.ok(cycles[0].cycle.rowsOnce().every((r) => r.at < midnight), 'cycle 1 all before midnight')
    t.ok(cycles[2].cycle.rowsOnce().every((r) => r.at >= midnight), 'cycle 3 all after midnight')

    // every file: header, whole lines, each row in the file of its own local date
    const names = readdirSync(dir).filter((n) => n.startsWith('ping_results_')).sort()
    t.same(names, [`ping_results_${DAY1}.csv`, `ping_results_${DAY1}_2.csv`, `ping_results_${DAY2}.csv`, `ping_results_${DAY2}_2.csv`], 'the old day went at the day change; each day rolled over at MAX_CSV_RECORDS')
    const byDay = new Map<string, string[][]>()
    const fileRows = new Map<string, number>()
    for (const name of names) {
      const text = readFileSync(join(dir, name), 'utf8')
      t.ok(text.endsWith('\n'), `${name}: whole lines`)
      const parsed = Papa.parse<string[]>(text, { skipEmptyLines: true })
      t.same(parsed.errors, [], `${name} parses`)
      t.equal(parsed.data[0].join(','), CSV_HEADER.trim(), `${name}: header`)
      const day = name.slice('ping_results_'.length, 'ping_results_'.length + 8)
      const rows = parsed.data.slice(1)
      fileRows.set(name, rows.length)
      for (const r of rows) {
        const local = r[0].slice(0, 10).replace(/-/g, '')
        if (local !== day || localDateKey(Date.parse(r[0])) !== day) t.fail(`${name}: row ${r.join(',')} is of ${local}`)
      }
      byDay.set(day, [...(byDay.get(day) ?? []), ...rows])
    }
    t.same([...fileRows.values()], [MAX_RECORDS, DEVICES + DEVICES / 2 - MAX_RECORDS, MAX_RECORDS, DEVICES + DEVICES / 2 - MAX_RECORDS], 'rows per file')

    // nothing lost, nothing duplicated, nothing reordered within a day
    const expected = (day: string) => cycles.flatMap((c) => c.cycle.rowsOnce()).filter((r) => localDateKey(r.at) === day)
      .map((r) => [r.row.timestamp, String(r.row.device_id), r.row.ip_address, r.row.hostname, String(r.row.ping_success), r.row.response_time_ms === null ? '' : r.row.response_time_ms.toFixed(2), r.row.error_message])
    t.same(byDay.get(DAY1), expected(DAY1), `${DAY1}: exactly the rows timed before midnight, in order`)
    t.same(byDay.get(DAY2), expected(DAY2), `${DAY2}: exactly the rows timed after midnight, in order`)
    const perDevice = new Map<string, number>()
    for (const r of [...byDay.values()].flat()) perDevice.set(r[1], (perDevice.get(r[1]) ?? 0) + 1)
    t.same([...perDevice.values()], Array(DEVICES).fill(CYCLES), 'each device once per cycle')

    // one write per file touched, even though the straddling cycle's dates alternate row by row
    t.same(cycles.map((c) => c.writes), [2, 2, 2], 'writes per cycle')
    // retention follows the injected clock: the old day is deleted at the day change, not before
    t.same(cycles.map((c) => c.oldFileAfter), [true, false, false], 'the file past retention goes with the first write of the new day')
    t.equal(logs.filter((l) => l.msg === 'deleted CSV file past retention').length, 1)
  })
}
