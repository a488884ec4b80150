// Apart from src/heap-settings.ts, which sets V8 flags when it is imported: the service imports this.

/**
 * A full garbage collection now, when node was started with --expose-gc (COMMAND_LINE_FLAGS in
 * src/heap-settings.ts says why the service runs two at start); the main thread's ms, or null without
 * the flag.
 */
export function fullCollection (): number | null {
  const gc = (globalThis as { gc?: () => void }).gc
  if (typeof gc !== 'function') return null
  const t0 = performance.now()
  gc()
  return Math.round((performance.now() - t0) * 10) / 10
}
