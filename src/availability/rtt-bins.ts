/**
 * A coarse round-trip-time histogram for the hourly rollups: 28 log bins from 0.1 ms (each 1.6× the
 * last, the top one open), stored as 28 integer columns so that SQL can sum them per group. The
 * history's 790 bins (src/history/rtt-histogram.ts) would be 3 kB per device-hour and 400 days of
 * them too much to keep; these give p50/p95 within about ±25 % (the bin's geometric middle).
 */
export const RTT_BINS = 28
const MIN_MS = 0.1
const GROWTH = 1.6
const LOG_GROWTH = Math.log(GROWTH)

export function rttBin (ms: number): number {
  if (!(ms > MIN_MS)) return 0
  return Math.min(RTT_BINS - 1, Math.floor(Math.log(ms / MIN_MS) / LOG_GROWTH) + 1)
}

/** The geometric middle of a bin (bin 0: values up to 0.1 ms). */
export function rttBinValue (bin: number): number {
  if (bin === 0) return MIN_MS
  return MIN_MS * Math.pow(GROWTH, bin - 0.5)
}

/** The q-quantile by nearest rank from bin counts; null when empty. Rounded to 0.01 ms. */
export function binQuantile (hist: ArrayLike<number>, q: number): number | null {
  let total = 0
  for (let b = 0; b < hist.length; b++) total += hist[b]
  if (total === 0) return null
  const rank = Math.max(1, Math.ceil(q * total))
  let seen = 0
  for (let b = 0; b < hist.length; b++) {
    seen += hist[b]
    if (seen >= rank) return Math.round(rttBinValue(b) * 100) / 100
  }
  return Math.round(rttBinValue(hist.length - 1) * 100) / 100
}

export const binColumns = Array.from({ length: RTT_BINS }, (_, i) => `h${i}`)
