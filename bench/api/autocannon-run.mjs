// One autocannon load, as its command line with -j would run it, printing autocannon's result as JSON
// with `latency_exact`: p50, p99 and max in milliseconds to the microsecond, taken from each 2xx
// answer's own time (autocannon's `response` event). Why: autocannon's latency histogram keeps
// whole milliseconds, so a 1-2 ms route (statistics) cannot be held to "p99 within 1.25x of the bare
// server" with its figures: 2 ms against 1 ms may be 1.6 against 1.4.
//   node bench/api/autocannon-run.mjs '{"url": ..., "connections": 50, "duration": 10, "headers": {...}}'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const autocannon = createRequire(join(root, 'package.json'))('autocannon')
const { url, connections, duration, headers } = JSON.parse(process.argv[2])

// a 10 s run at 50 connections answers up to ~200,000 requests: a growing typed array, sorted once
let times = new Float64Array(1 << 16)
let n = 0
const instance = autocannon({ url, connections, duration, headers }, (err, result) => {
  if (err) throw err
  const sorted = times.subarray(0, n).sort()
  // the nearest-rank percentile, as a histogram's value at that rank
  const at = (q) => n === 0 ? null : Number(sorted[Math.min(n - 1, Math.ceil(q * n) - 1)].toFixed(3))
  process.stdout.write(JSON.stringify({ ...result, latency_exact: { samples: n, p50: at(0.5), p99: at(0.99), max: at(1) } }) + '\n')
})
instance.on('response', (_client, statusCode, _bytes, responseTime) => {
  if (statusCode < 200 || statusCode > 299) return
  if (n === times.length) {
    const grown = new Float64Array(times.length * 2)
    grown.set(times)
    times = grown
  }
  times[n++] = responseTime
})
