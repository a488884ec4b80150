// What the resident memory is made of at its peak, from a run of run-service.mjs with memory-sampler.mjs:
// the sample of the main thread with the highest RSS, its V8 spaces (used / committed), external memory
// and ArrayBuffers, each worker thread's heap at that moment, and what is left (code and data of the
// node binary and its libraries, malloc outside V8, thread stacks).
//   node bench/memory/peak-breakdown.mjs SAMPLES.jsonl
import { readFileSync } from 'node:fs'
const samples = readFileSync(process.argv[2], 'utf8').trim().split('\n').map((l) => JSON.parse(l))
const main = samples.filter((s) => s.th === 'main')
const peak = main.reduce((a, b) => (b.rss > a.rss ? b : a))
// each worker's sample nearest in time to the peak
const workers = new Map()
for (const s of samples) {
  if (s.th === 'main') continue
  const w = workers.get(s.th)
  if (w === undefined || Math.abs(s.t - peak.t) < Math.abs(w.t - peak.t)) workers.set(s.th, s)
}
const workerPhys = [...workers.values()].reduce((n, w) => n + w.phys, 0)
console.log(`peak RSS ${peak.rss} MB at ${peak.t.toFixed(1)} s`)
console.log(`  main thread V8 heap committed ${peak.phys} MB (used ${peak.heapUsed}): ` + Object.entries(peak.sp).filter(([, v]) => v[1] >= 0.5).map(([k, v]) => `${k} ${v[0]}/${v[1]}`).join(', '))
console.log(`  external ${peak.ext} MB (ArrayBuffers ${peak.ab}), V8 malloc ${peak.malloced}`)
console.log(`  worker threads: ${[...workers.values()].map((w) => `#${w.th} heap ${w.phys} MB (large objects ${w.sp.large_object[1]}, new ${w.sp.new[1]})`).join(', ') || 'none'}`)
console.log(`  the rest (binary, libraries, malloc outside V8, stacks) ${peak.rss - peak.phys - peak.ext - workerPhys} MB`)
