import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// The Grafana dashboard of docs/grafana/, read as Grafana reads it: its expressions (with the
// dashboard's variables filled in the way Grafana does before sending them), the metric names they
// use, and a check of every expression by promtool. Shared by test/e2e/grafana.test.ts (static mode)
// and test/e2e/cluster.alone.test.ts (cluster mode).

export const DASHBOARD_FILE = fileURLToPath(new URL('../../docs/grafana/multi-ping-monitor.json', import.meta.url))

export interface Panel { id: number, type: string, title: string, targets?: Array<{ refId: string, expr: string }>, panels?: Panel[], gridPos: { x: number, y: number, w: number, h: number } }
export interface Expression { where: string, expr: string }

export function loadDashboard (): { panels: Panel[], templating: { list: any[] }, [k: string]: any } {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8'))
}

/** every panel, those inside rows too */
export function allPanels (d = loadDashboard()): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])])
}

/** the panels' expressions and the metric queries of the template variables (label_values(metric{…}, label)) */
export function expressions (d = loadDashboard()): { panels: Expression[], variables: Expression[] } {
  const panels = allPanels(d).flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel ${p.id} "${p.title}" ${t.refId}`, expr: t.expr })))
  const variables = d.templating.list.filter((v) => v.type === 'query').map((v) => {
    const q = typeof v.query === 'string' ? v.query : v.query.query
    const m = /^label_values\((.+),\s*[a-zA-Z_]+\)$/.exec(q)
    if (m === null) throw new Error(`variable ${String(v.name)}: not label_values(selector, label): ${String(q)}`)
    return { where: `variable ${String(v.name)}`, expr: m[1] }
  })
  return { panels, variables }
}

/** Grafana's substitution: the range variables by a duration, the multi-value ones by their "All" value */
export function asPromQL (expr: string): string {
  return expr
    .replace(/\$__(rate_interval|range|interval)\b/g, '5m')
    .replace(/\$job\b/g, 'multi-ping-monitor')
    .replace(/\$(instance|location_id)\b/g, '.*')
}

/** the metric names an expression reads (string literals left out, so label values do not count) */
export function metricNames (expr: string): string[] {
  const bare = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""')
  const names = new Set<string>()
  for (const m of bare.matchAll(/\b(mpm_[a-z0-9_]+)\b/g)) names.add(m[1])
  // any other selector with labels is a metric too: only Prometheus' own `up` may be one
  for (const m of bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/g)) names.add(m[1])
  return [...names].sort()
}

/** the names a /metrics text exposes: every family (# TYPE), each series name, a histogram's _bucket/_sum/_count */
export function exposedNames (text: string): Set<string> {
  const out = new Set<string>()
  for (const line of text.split('\n')) {
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)/.exec(line)
    if (type !== null) {
      out.add(type[1])
      if (type[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) out.add(type[1] + s)
      continue
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line)
    if (sample !== null) out.add(sample[1])
  }
  return out
}

/** Prometheus' own series, not the service's */
export const PROMETHEUS_NAMES = new Set(['up'])

/** promtool's verdict on expressions, each as a recording rule */
export function promtoolCheck (list: Expression[], dir: string): { status: number | null, output: string } {
  const rules = list.map((e, i) => `      - record: grafana_expression_${i}\n        # ${e.where.replace(/\n/g, ' ')}\n        expr: ${JSON.stringify(asPromQL(e.expr))}\n`).join('')
  const file = join(dir, 'dashboard-rules.yml')
  writeFileSync(file, `groups:\n  - name: grafana-dashboard\n    rules:\n${rules}`)
  const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' })
  return { status: r.status, output: r.stdout + r.stderr }
}
