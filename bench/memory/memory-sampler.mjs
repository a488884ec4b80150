// --import preload: the process's memory figures every 500 ms (main thread and each worker)
import { appendFileSync } from 'node:fs'
import v8 from 'node:v8'
import { isMainThread, threadId } from 'node:worker_threads'
const file = process.env.MPM_DIAG_FILE
if (file) {
  const t0 = Date.now()
  setInterval(() => {
    const mu = process.memoryUsage()
    const h = v8.getHeapStatistics()
    const sp = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name.replace('_space', ''), [Math.round(s.space_used_size / 1e5) / 10, Math.round(s.physical_space_size / 1e5) / 10]]))
    appendFileSync(file, JSON.stringify({ t: (Date.now() - t0) / 1000, th: isMainThread ? 'main' : threadId, rss: Math.round(mu.rss / 1e6), heapUsed: Math.round(mu.heapUsed / 1e6), heapTotal: Math.round(mu.heapTotal / 1e6), phys: Math.round(h.total_physical_size / 1e6), ext: Math.round(mu.external / 1e6), ab: Math.round(mu.arrayBuffers / 1e6), malloced: Math.round(h.malloced_memory / 1e6), peakMalloced: Math.round(h.peak_malloced_memory / 1e6), limit: Math.round(h.heap_size_limit / 1e6), sp }) + '\n')
  }, 500).unref()
}
