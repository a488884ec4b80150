/**
 * Log-scale bins for round-trip times: 0.01 ms to about 60 s, each bin 2% wider than the last, so a
 * percentile read from the bins is within 1% of the exact value (relative). 790 bins.
 */
const MIN_MS = 0.01
const GROWTH = 1.02
const LOG_GROWTH = Math.log(GROWTH)
export const BINS = Math.ceil(Math.log(60_000 / MIN_MS) / LOG_GROWTH) + 1

function computeBin (ms: number): number {
  if (!(ms > MIN_MS)) return 0
  return Math.min(BINS - 1, Math.floor(Math.log(ms / MIN_MS) / LOG_GROWTH))
}

// times are kept in hundredths of a millisecond: below 1 s the bin is looked up (a log per result
// was a tenth of the rebuild's cost)
const TABLE_MAX = 100_000
const TABLE = new Uint16Array(TABLE_MAX)
for (let h = 0; h < TABLE_MAX; h++) TABLE[h] = computeBin(h / 100)

/** The bin of a time in integer hundredths of a millisecond. */
export function binOfHundredths (h: number): number {
  return h < TABLE_MAX ? TABLE[h] : computeBin(h / 100)
}

/** The middle (geometric) of a bin: at most 1% from any value in it. */
export function binValue (bin: number): number {
  if (bin === 0) return MIN_MS
  return MIN_MS * Math.pow(GROWTH, bin + 0.5)
}

/** The q-quantile (0..1) of the values counted in `hist`, by the nearest-rank rule; null if empty. */
export function histogramQuantile (hist: Uint32Array | number[], total: number, q: number): number | null {
  if (total === 0) return null
  const rank = Math.max(1, Math.ceil(q * total))
  let seen = 0
  for (let b = 0; b < hist.length; b++) {
    seen += hist[b]
    if (seen >= rank) return binValue(b)
  }
  return binValue(hist.length - 1)
}

/** Exact q-quantile by the nearest-rank rule over sorted values. */
export function exactQuantile (sorted: Float64Array, q: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]
}
