import { setFlagsFromString } from 'node:v8'

/**
 * How far V8 lets the old generation grow past what a full collection left alive before the next one:
 * 30 %, instead of V8's own factor (up to 4× on a machine with a 4 GB heap limit). The service's live
 * heap is nearly constant (per-device state), while each cycle promotes its rows (~15 MB at 50,000
 * devices) that die at the end of the cycle: with V8's factor the heap grew cycle after cycle before a
 * mark-compact and the peak was twice the live heap (bench, 50,000 devices, interval 10: peak RSS
 * 344 MB without, 287–294 MB with it; CPU per cycle within the noise of the same runs). Unlike
 * --max-old-space-size it caps nothing: a fleet whose live heap is large still gets all it needs.
 *
 * Set at run time so that every way of starting the service (npm run start:prod, node
 * dist/src/server.js, the bench) gets it; V8 reads it at each full collection. An operator's own
 * --heap-growing-percent (node's command line) wins. Imported first by src/server.ts, before the
 * service allocates anything.
 */
export const HEAP_GROWING_PERCENT = 30

if (!process.execArgv.some((a) => /^--heap[-_]growing[-_]percent/.test(a))) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
