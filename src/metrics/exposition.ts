/**
 * Writing the Prometheus text format (version 0.0.4) by hand, for the families that carry one series
 * per device: prom-client's generic path hashes and escapes every label set on every set() and every
 * scrape, which costs hundreds of milliseconds on the main thread with 50,000 devices.
 */

/** A label value in the text format: backslash, double quote and line feed escaped. */
export function escapeLabelValue (value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value
}

/** HELP text: backslash and line feed escaped. */
export function escapeHelp (text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

export function formatValue (value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return String(value)
}

export function familyHeader (name: string, help: string, type: 'gauge' | 'counter' | 'histogram'): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`
}
