// A day's read-back into the history at start, alone: 24 h of 5-second results for DEVICES devices
// added to a HistoryStore the way the read-back adds them, then the time it took and the process's
// memory. Run it for two built checkouts one after the other to compare them (README issue 17):
//   node --expose-gc bench/memory/history-fill.mjs TREE [DEVICES]
const tree = process.argv[2]
const { HistoryStore } = await import(`${tree}/dist/src/history/history-store.js`)
const devices = Number(process.argv[3] ?? 1000)
const T0 = Date.parse('2026-01-05T00:00:00Z')
const row = { timestamp: '', device_id: 0, ip_address: '127.0.0.1', hostname: 'h', ping_success: true, response_time_ms: 1.5, error_message: '' }
const t0 = performance.now()
const store = new HistoryStore({ hours: 24, intervalSeconds: 5 })
for (let at = T0; at < T0 + 24 * 3600_000; at += 5000) {
  for (let id = 1; id <= devices; id++) {
    row.device_id = id
    row.ping_success = (id + at / 5000) % 17 !== 0
    store.add(row, at)
  }
}
const ms = performance.now() - t0
globalThis.gc?.()
const mu = process.memoryUsage()
console.log(JSON.stringify({ tree, devices, ms: Math.round(ms), rss_mb: Math.round(mu.rss / 1e6), heap_mb: Math.round(mu.heapUsed / 1e6), array_buffers_mb: Math.round(mu.arrayBuffers / 1e6), results: store.counts().results }))
