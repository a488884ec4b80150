import { setFlagsFromString } from 'node:v8'

/**
 * How far V8 lets the old generation grow past what a full collection left alive before the next one:
 * 30 %, instead of V8's own factor (up to 4× on a machine with a 4 GB heap limit). The service's live
 * heap is nearly constant (per-device state), while each cycle promotes its rows (~15 MB at 50,000
 * devices) that die at the end of the cycle: with V8's factor the heap grew cycle after cycle before a
 * mark-compact and the peak was twice the live heap (bench, 50,000 devices, interval 10: peak RSS
 * 344 MB without, 287–294 MB with it; CPU per cycle within the noise of the same runs). Unlike
 * --max-old-space-size it caps nothing: a fleet whose live heap is large still gets all it needs.
 */
export const HEAP_GROWING_PERCENT = 30

/** A V8 flag the service sets at run time, and the operator's flags on node's command line that decide it instead. */
export interface RuntimeHeapFlag {
  flag: string
  /** matches an element of process.execArgv */
  operator: RegExp
}

/**
 * Set at run time, so that every way of starting the service (npm run start:prod, node
 * dist/src/server.js, the bench) gets them: V8 reads them at each collection. Only flags of that kind
 * belong here. Those that V8 reads when it creates an isolate do nothing here for the main thread
 * (--max-semi-space-size: measured, the new space still grew to 32 MB), and the GC-thread switches
 * are worse: --single-threaded-gc or --no-parallel-marking set after V8 started abort the process at
 * the next mark-compact (V8 11.3, Node 20: "Check failed: concurrent_marking_handle_ implies
 * !concurrent_marking_handle_->IsValid()" in cppgc's marker, whose setting was fixed at isolate
 * creation); test/heap-settings.test.ts runs full collections under this list to keep it so.
 * Node does not accept those in NODE_OPTIONS either (it exits: "not allowed in NODE_OPTIONS").
 *
 * Measured and not set (npm run bench -- --variants ... --gc, 3 rounds rotated in one run, 3 Dec,
 * load 2-9, medians; default = this list only):
 * - GC threads: at 10,000 devices --single-threaded-gc, --no-parallel-scavenge,
 *   --no-concurrent-marking, --v8-pool-size=1 cost 0.200-0.225 s/cycle against 0.213: no gain
 *   beyond the noise. --single-threaded-gc takes ~0.025 s off the helper threads but puts 0.018 on the
 *   main thread and more in the ping threads; at 50,000 devices it is 0.735 against 0.708 s (main
 *   0.163 -> 0.240), peak RSS +12 MB at both sizes, and one main-thread scavenge of 324 ms under load.
 * - --max-semi-space-size=4 (the main thread's young generation; V8 grows it to 16 MB): peak RSS
 *   171 -> 151 MB at 10,000 and 280 -> 249 MB at 50,000 (interval 10), but 0.708 -> 0.795 s/cycle at
 *   50,000 (5 -> 25 scavenges a cycle; ratio to bare fping 1.85 -> 1.97) and main-thread GC pauses of
 *   up to 42 ms (median of runs; default 19). With --single-threaded-gc the CPU is back (0.710) at
 *   251 MB, with 0.064 s/cycle more on the main thread. 8 MB saved nothing (296 MB) then. Only
 *   node's command line can set it (NODE_OPTIONS takes this one); --max-semi-space-size=8 has since
 *   been taken there, measured again after the first cycle stopped promoting its garbage (see
 *   COMMAND_LINE_FLAGS).
 */
export const RUNTIME_HEAP_FLAGS: readonly RuntimeHeapFlag[] = [
  { flag: `--heap-growing-percent=${HEAP_GROWING_PERCENT}`, operator: /^--heap[-_]growing[-_]percent(=|$)/ }
]

/** The flags of RUNTIME_HEAP_FLAGS that the operator's own (node's command line) do not decide. */
export function heapFlagsToSet (execArgv: readonly string[]): string[] {
  return RUNTIME_HEAP_FLAGS.filter((f) => !execArgv.some((a) => f.operator.test(a))).map((f) => f.flag)
}

/** Sets them; returns what it set. */
export function applyHeapSettings (execArgv: readonly string[] = process.execArgv, set: (flags: string) => void = setFlagsFromString): string[] {
  const flags = heapFlagsToSet(execArgv)
  for (const f of flags) set(f)
  return flags
}

/**
 * V8 flags that only node's command line can set: V8 reads them when it creates the isolate, so set
 * at run time they change nothing (measured: the memory reducer's collections went on), and
 * NODE_OPTIONS refuses them ("not allowed in NODE_OPTIONS"). `npm start` and `npm run start:prod`
 * pass them (package.json; test/heap-settings.test.ts keeps the scripts and this list the same), the
 * bench starts each build with its start:prod flags, and the service logs at start which of them it
 * was started without.
 *
 * --no-memory-reducer: V8's memory reducer takes a fall in the allocation rate for the end of a busy
 * phase and runs up to three extra mark-compacts to hand memory back. The cycle makes exactly that
 * pattern every interval (3 s of results, then quiet), so at 10,000 devices two thirds or more of
 * the mark-compacts were the reducer's (0.33-0.44 a cycle with it, 0.11 without), every one of them
 * marking the whole heap on the helper threads for memory the next cycle takes again. Without it (npm run bench -- --devices 10000 --backend fping
 * --cycles 10 --rounds 2 --gc --variants "default:;nomr:--no-memory-reducer", 3 Dec, load 0.0-0.6):
 * CPU per cycle 0.456/0.412 -> 0.366/0.379 s, other threads 0.124/0.087 -> 0.061/0.064 s,
 * mark-compacts 0.44/0.33 -> 0.11 per cycle, main-thread GC 21 -> 7 ms per cycle, peak RSS
 * 170 -> 180 MB.
 */
export const COMMAND_LINE_FLAGS: readonly string[] = ['--no-memory-reducer', '--expose-gc', '--max-semi-space-size=8']

/**
 * --max-semi-space-size=8 (in COMMAND_LINE_FLAGS): the main thread's young generation stops at 2 × 8 MB
 * instead of V8's 2 × 16. It was committed in full from the first cycle on and mostly empty (2-13 MB
 * used of 33.6 committed at 50,000 devices, memory sampler), so the peak carried ~17 MB of it. Measured
 * against it twice before and not taken (see RUNTIME_HEAP_FLAGS): then the first cycle's growing
 * columns (StateTable.reserve) and garbage not collected at start promoted what a smaller young
 * generation could not hold. With those gone (npm run bench -- --devices 50000 --interval 10
 * --backend fping --cycles 5 --rounds 2 --gc --variants "prod:;semi8:--max-semi-space-size=8", 3 Dec):
 * peak RSS 241/243 -> 217/222 MB, CPU 1.515 -> 1.538 s a cycle (ratio to bare fping 1.48 -> 1.50),
 * 2.5 -> 16.5 scavenges a cycle, main-thread GC 14 -> 35 ms a cycle, longest pause 7 -> 14 ms. At
 * 10,000 devices (--cycles 5 --rounds 3): 169 -> 160 MB, CPU 0.377 -> 0.382 s. A fleet that would
 * rather spend the memory passes its own size; the service then does not name the flag as missing.
 */

/**
 * --expose-gc (in COMMAND_LINE_FLAGS): for the two full collections of the start-up (src/lib/full-collection.ts,
 * called by src/service.ts): one before the first cycle, one after the first cycle once the earlier
 * results are read back. Loading the inventory and the first cycle (every device's first state
 * change, every structure made for the first time) leave tens of MB of garbage in the old generation,
 * and with HEAP_GROWING_PERCENT the heap's limit is set from whatever the last collection found
 * alive: a run whose last start-up collection fell before that garbage died kept it until the heap
 * reached a limit it then never reached. 50,000 devices, interval 10, the same build
 * (bench/memory/run-service.mjs, 3 Dec): peak RSS 255, 258, 257, 286, 276, 280 MB without; 253, 257,
 * 258, 256 MB with two gc() calls at fixed times (an --import file), 252 and 250 MB over the first 6
 * cycles as built here; 45-100 ms each on the main thread. The memory reducer does this
 * and more (see above), at every cycle. Without the flag the collections are skipped.
 */

/** Those of COMMAND_LINE_FLAGS that this process's command line lacks (a flag with a value of the operator's own is not lacking). */
export function missingCommandLineFlags (execArgv: readonly string[] = process.execArgv): string[] {
  const name = (f: string) => f.replace(/_/g, '-').split('=')[0]
  return COMMAND_LINE_FLAGS.filter((f) => !execArgv.some((a) => name(a) === name(f)))
}

/** What this process got: imported first by src/server.ts, before the service allocates anything. */
export const APPLIED_HEAP_FLAGS: readonly string[] = applyHeapSettings()
