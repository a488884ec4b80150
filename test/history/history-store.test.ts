import t from 'tap'
import { HistoryStore } from '../../src/history/history-store.js'
import { DeviceSeries, FAIL, INITIAL_CAP, RTT_MAX } from '../../src/history/device-series.js'
import { formatLocalIso } from '../../src/lib/local-time.js'
import { CsvWriter } from '../../src/storage/csv-writer.js'
import { readHistory } from '../../src/storage/history-reader.js'
import type { ResultRow } from '../../src/storage/result-row.js'
import { tempDir } from '../helper.js'

const silent = { info () {}, warn () {}, error () {} }
// a minute boundary, so that the minute totals and the partial-minute edges are both exercised
const T0 = Date.UTC(2026, 10, 25, 10, 0, 0)

function r (id: number, at: number, rtt: number | null, error = 'No response (timeout)'): { row: ResultRow, at: number } {
  return { at, row: { timestamp: formatLocalIso(at), device_id: id, ip_address: `127.0.0.${id}`, hostname: `dev-${id}`, ping_success: rtt !== null, response_time_ms: rtt, error_message: rtt === null ? error : '' } }
}

function feed (store: HistoryStore, rows: Array<{ row: ResultRow, at: number }>) {
  for (const x of rows) store.add(x.row, x.at)
}

t.test('one device: exact statistics computed by hand', async (t) => {
  const s = new HistoryStore({ hours: 24, intervalSeconds: 5 })
  feed(s, [r(1, T0, 1), r(1, T0 + 5000, 3), r(1, T0 + 10000, null), r(1, T0 + 15000, 2), r(1, T0 + 20000, 10)])
  t.same(s.statistics(T0 - 1000, T0 + 60_000, 1), {
    total_pings: 5,
    successful_pings: 4,
    failed_pings: 1,
    success_rate: 80,
    average_response_time_ms: 4, // (1 + 3 + 2 + 10) / 4
    min_response_time_ms: 1,
    max_response_time_ms: 10,
    p50_response_time_ms: 2, // nearest rank: the 2nd of 1, 2, 3, 10
    p95_response_time_ms: 10, // the 4th
    jitter_ms: 3.67, // consecutive successes: |3-1| + |2-3| + |10-2| = 11, over 3 pairs
    packet_loss_percent: 20
  })
  // window edges are inclusive; the pair before the window's first ping counts (its later ping is inside)
  t.match(s.statistics(T0 + 5000, T0 + 15000, 1), { total_pings: 3, successful_pings: 2, average_response_time_ms: 2.5, jitter_ms: 1.5 })
  t.match(s.statistics(T0 + 5001, T0 + 14999, 1), { total_pings: 1, successful_pings: 0, success_rate: 0, average_response_time_ms: null, p50_response_time_ms: null, jitter_ms: null, packet_loss_percent: 100 })
  t.match(s.statistics(T0 + 60_000, T0 + 120_000, 1), { total_pings: 0, success_rate: 0, packet_loss_percent: 0, average_response_time_ms: null })
  t.match(s.statistics(T0, T0 + 60_000, 99), { total_pings: 0 })
})

t.test('all devices: the same totals whether a window is whole minutes, partial, or both', async (t) => {
  const s = new HistoryStore({ hours: 24, intervalSeconds: 5 })
  const rows: Array<{ row: ResultRow, at: number }> = []
  // 3 devices for 10 minutes; device 3 fails every 4th ping; times vary
  for (let k = 0; k < 120; k++) {
    for (let id = 1; id <= 3; id++) rows.push(r(id, T0 + k * 5000 + id, id === 3 && k % 4 === 0 ? null : Math.round((0.05 + ((k * 7 + id * 13) % 50) / 10) * 100) / 100))
  }
  feed(s, rows)
  const brute = (from: number, to: number) => {
    const inWin = rows.filter((x) => x.at >= from && x.at <= to)
    const times = inWin.filter((x) => x.row.ping_success).map((x) => x.row.response_time_ms!)
    let pairs = 0
    let jsum = 0
    for (let id = 1; id <= 3; id++) {
      const seq = rows.filter((x) => x.row.device_id === id && x.row.ping_success)
      for (let i = 1; i < seq.length; i++) if (seq[i].at >= from && seq[i].at <= to) { pairs++; jsum += Math.abs(seq[i].row.response_time_ms! - seq[i - 1].row.response_time_ms!) }
    }
    const sorted = [...times].sort((a, b) => a - b)
    return {
      total: inWin.length,
      ok: times.length,
      avg: Math.round((times.reduce((a, b) => a + b, 0) / times.length) * 100) / 100,
      min: sorted[0],
      max: sorted.at(-1),
      p50: sorted[Math.ceil(0.5 * sorted.length) - 1],
      p95: sorted[Math.ceil(0.95 * sorted.length) - 1],
      jitter: Math.round((jsum / pairs) * 100) / 100
    }
  }
  for (const [from, to] of [[T0, T0 + 600_000], [T0 + 12_345, T0 + 487_654], [T0 + 60_000, T0 + 179_999], [T0 + 61_000, T0 + 71_000]]) {
    const got = s.statistics(from, to)
    const want = brute(from, to)
    t.equal(got.total_pings, want.total, `total ${from - T0}..${to - T0}`)
    t.equal(got.successful_pings, want.ok)
    t.equal(got.average_response_time_ms, want.avg)
    t.equal(got.min_response_time_ms, want.min)
    t.equal(got.max_response_time_ms, want.max)
    t.equal(got.jitter_ms, want.jitter)
    t.ok(Math.abs(got.p50_response_time_ms! - want.p50) <= want.p50 * 0.01 + 0.01, `p50 ${got.p50_response_time_ms} ~ ${want.p50}`)
    t.ok(Math.abs(got.p95_response_time_ms! - want.p95) <= want.p95 * 0.01 + 0.01, `p95 ${got.p95_response_time_ms} ~ ${want.p95}`)
  }
})

t.test('device rows newest first with limit; timeline buckets with gaps', async (t) => {
  const s = new HistoryStore({ hours: 24, intervalSeconds: 5 })
  feed(s, [r(1, T0, 1), r(1, T0 + 5000, 3), r(1, T0 + 10000, null), r(1, T0 + 65_000, 2), r(1, T0 + 70_000, 4)])
  const rows = s.deviceRows(1, T0, T0 + 70_000, 3)
  t.same(rows.map((x) => [x.timestamp, x.ping_success, x.response_time_ms, x.error_message, x.hostname]), [
    [formatLocalIso(T0 + 70_000), true, 4, '', 'dev-1'],
    [formatLocalIso(T0 + 65_000), true, 2, '', 'dev-1'],
    [formatLocalIso(T0 + 10_000), false, null, 'No response (timeout)', 'dev-1']
  ])
  t.equal(s.deviceRows(1, T0 + 1, T0 + 69_999, 100).length, 3)
  const tl = s.timeline(1, T0, T0 + 179_999, 60_000)
  t.same(tl, [
    { start: formatLocalIso(T0), pings: 3, successes: 2, avg_ms: 2, max_ms: 3 },
    { start: formatLocalIso(T0 + 60_000), pings: 2, successes: 2, avg_ms: 3, max_ms: 4 },
    { start: formatLocalIso(T0 + 120_000), pings: 0, successes: 0, avg_ms: null, max_ms: null }
  ])
  const ov = s.overview([1, 2], T0, T0 + 120_000, 2)
  t.same(ov, [{ device_id: 1, loss_percent: 20, spark: [2, 3] }, { device_id: 2, loss_percent: null, spark: [null, null] }])
})

t.test('memory stays bounded: a device keeps at most its window of results', async (t) => {
  const s = new HistoryStore({ hours: 0.1, intervalSeconds: 5 })
  for (let k = 0; k < 2000; k++) s.add(r(1, T0 + k * 5000, 1).row, T0 + k * 5000)
  const { results } = s.counts()
  // 6 minutes + 6 minutes margin at 5 s, plus 5% headroom
  t.ok(results <= Math.ceil((720 / 5) * 1.05) + 16, `${results} results kept`)
  t.equal(s.deviceRows(1, T0 + 1999 * 5000 - 60_000, T0 + 1999 * 5000, 1000).length, 13)
  t.equal(s.statistics(T0, T0 + 1000).total_pings, 0, 'old minutes are gone too')
})

t.test('restart equivalence: the store rebuilt from the CSV files answers the same', async (t) => {
  const dir = tempDir(t)
  const live = new HistoryStore({ hours: 24, intervalSeconds: 5 })
  const writer = new CsvWriter({ dir, maxRecords: 100, retentionDays: 0, bufferMaxRows: 100_000, log: silent })
  await writer.init()
  for (let k = 0; k < 200; k++) {
    const cycle = [1, 2, 3, 4].map((id) => r(id, T0 + k * 5000 + id * 3, (k + id) % 9 === 0 ? null : Math.round(((k * 31 + id * 17) % 997) / 7) / 100, (k + id) % 2 === 0 ? 'No response (timeout)' : 'Destination host unreachable'))
    feed(live, cycle)
    await writer.write(cycle)
  }
  const rebuilt = new HistoryStore({ hours: 24, intervalSeconds: 5 })
  // small batches, so that the rebuild spans many of them
  const res = await readHistory({ dir, fromMs: T0 - 3_600_000, toMs: T0 + 3_600_000, batchSize: 97 }, (b, strings) => rebuilt.addBatch(b, strings))
  t.equal(res.rows, 800)
  const to = T0 + 200 * 5000
  for (const [from, id] of [[T0, undefined], [T0 + 33_333, undefined], [T0, 2], [T0 + 123_456, 3]] as Array<[number, number | undefined]>) {
    t.same(rebuilt.statistics(from, to, id), live.statistics(from, to, id), `statistics from +${from - T0} device ${String(id)}`)
  }
  t.same(rebuilt.deviceRows(2, T0, to, 1000), live.deviceRows(2, T0, to, 1000))
  t.same(rebuilt.timeline(4, T0, to, 60_000), live.timeline(4, T0, to, 60_000))
})

t.test('device series: one 8-byte entry per result; the ring keeps its order when it grows after wrapping', async (t) => {
  const s = new DeviceSeries(1000, 4)
  for (let i = 0; i < 4; i++) s.push(10 + i, i, 0, 'a', 'b')
  s.trimBefore(12) // drops the first two: the ring now starts at slot 2
  s.push(14, 4, 0, 'a', 'b')
  s.push(15, FAIL, 255, 'a', 'b') // wraps to slots 0 and 1
  s.push(16, RTT_MAX, 7, 'a', 'c') // full: grows, unwrapping the ring
  t.equal(s.cap, 16)
  t.equal(s.bytes(), 16 * 8)
  const seen: number[][] = []
  for (let i = 0; i < s.len; i++) {
    const p = s.slot(i)
    seen.push([s.timeAt(p), s.rttAt(p), s.errAt(p)])
  }
  t.same(seen, [[12, 2, 0], [13, 3, 0], [14, 4, 0], [15, FAIL, 255], [16, RTT_MAX, 7]])
  t.equal(s.lowerBound(14), 2)
  t.same(s.labelAt(4), { fromSeq: 6, ip: 'a', hostname: 'c' })
})

t.test('a round-trip beyond what an entry holds is kept as the largest it holds', async (t) => {
  const store = new HistoryStore({ hours: 1, intervalSeconds: 5 })
  const x = r(1, T0, 200_000)
  store.add(x.row, x.at)
  t.equal(store.deviceRows(1, T0, T0, 10)[0].response_time_ms, RTT_MAX / 100)
})

t.test('device series: a new ring is small and grows by 4; the labels of kept results survive eviction, the others go', async (t) => {
  const s = new DeviceSeries(40)
  t.equal(s.cap, INITIAL_CAP)
  t.equal(s.bytes(), INITIAL_CAP * 8, '64 bytes')
  // seq 0-2: a/x, 3-5: b/x, 6-8: b/y
  for (let i = 0; i < 9; i++) s.push(i, i, 0, i < 3 ? 'a' : 'b', i < 6 ? 'x' : 'y')
  t.equal(s.cap, INITIAL_CAP * 4, 'grown once, by 4')
  t.same([0, 2, 3, 5, 6, 8].map((i) => s.labelAt(i)), [
    { fromSeq: 0, ip: 'a', hostname: 'x' }, { fromSeq: 0, ip: 'a', hostname: 'x' },
    { fromSeq: 3, ip: 'b', hostname: 'x' }, { fromSeq: 3, ip: 'b', hostname: 'x' },
    { fromSeq: 6, ip: 'b', hostname: 'y' }, { fromSeq: 6, ip: 'b', hostname: 'y' }
  ])
  s.trimBefore(4) // seq 4.. kept: a/x no longer applies
  t.same(s.labelAt(0), { fromSeq: 3, ip: 'b', hostname: 'x' })
  t.same(s.labelAt(2), { fromSeq: 6, ip: 'b', hostname: 'y' })
  s.trimBefore(7)
  t.same([0, 1].map((i) => s.labelAt(i)), [{ fromSeq: 6, ip: 'b', hostname: 'y' }, { fromSeq: 6, ip: 'b', hostname: 'y' }], 'only the newest label left')
  // back to an earlier label: a new one, not the old one reused
  s.push(9, 1, 0, 'a', 'x')
  t.same(s.labelAt(2), { fromSeq: 9, ip: 'a', hostname: 'x' })
  t.same(s.labelAt(1), { fromSeq: 6, ip: 'b', hostname: 'y' })
  // evict everything up to the newest label: the older ones go
  s.trimBefore(9)
  t.equal(s.len, 1)
  t.same(s.labelAt(0), { fromSeq: 9, ip: 'a', hostname: 'x' })
  // a full ring at maxCap overwrites the oldest, labels follow
  const full = new DeviceSeries(4, 4)
  for (let i = 0; i < 6; i++) full.push(i, i, 0, `ip${i}`, 'h')
  t.equal(full.cap, 4)
  t.same([0, 1, 2, 3].map((i) => full.labelAt(i).ip), ['ip2', 'ip3', 'ip4', 'ip5'])
})

t.test('store: a renamed device keeps each result with the name it had', async (t) => {
  const store = new HistoryStore({ hours: 1, intervalSeconds: 5 })
  for (let i = 0; i < 20; i++) {
    const x = r(1, T0 + i * 5000, 1)
    store.add({ ...x.row, hostname: i < 12 ? 'old' : 'new', ip_address: i < 5 ? '10.0.0.1' : '10.0.0.2' }, x.at)
  }
  const rows = store.deviceRows(1, T0, T0 + 100_000, 100).reverse()
  t.equal(rows.length, 20)
  t.same(rows.map((x) => `${x.ip_address}/${x.hostname}`), Array.from({ length: 20 }, (_, i) => `${i < 5 ? '10.0.0.1' : '10.0.0.2'}/${i < 12 ? 'old' : 'new'}`))
})
