import t from 'tap'
import { build, tempDir, waitFor, NETNS_SKIP } from '../helper.js'
import { allPanels, expressions, exposedNames, loadDashboard, metricNames, promtoolCheck, PROMETHEUS_NAMES } from './grafana-dashboard.js'

// docs/grafana/multi-ping-monitor.json: every expression passes promtool, every metric name it reads
// is on a real service's /metrics. Static mode here; the cluster mode names (mpm_cluster_*) are checked
// against a scraped cluster-mode instance in test/e2e/cluster.alone.test.ts.

t.test('the dashboard is a Grafana dashboard whose every expression passes promtool', async (t) => {
  const d = loadDashboard()
  const panels = allPanels(d)
  t.equal(new Set(panels.map((p) => p.id)).size, panels.length, 'panel ids are unique')
  t.ok(panels.every((p) => p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24), 'every panel fits the 24-column grid')
  const shown = panels.filter((p) => p.type !== 'row')
  t.ok(shown.length >= 20, `${shown.length} panels`)
  t.ok(shown.every((p) => (p.targets ?? []).length > 0 && p.targets!.every((x) => x.expr.trim() !== '')), 'each panel has at least one expression')
  t.ok(shown.every((p: any) => p.datasource?.uid === '${DS_PROMETHEUS}'), 'each reads the data source chosen at import') // eslint-disable-line no-template-curly-in-string
  for (const title of ['Members', 'Partitions owned by instance', 'Hand-overs and take-overs', 'Fenced', 'Missed cycles per partition', 'Devices up and down', 'Cycle duration', 'Down devices per location']) {
    t.ok(shown.some((p) => p.title === title), `a panel "${title}"`)
  }

  const { panels: exprs, variables } = expressions(d)
  const dir = tempDir(t, 'mpm-grafana-')
  const check = promtoolCheck([...exprs, ...variables], dir)
  t.equal(check.status, 0, `promtool check rules: ${exprs.length + variables.length} expressions\n${check.output}`)
  // the check itself can fail: a broken expression is refused
  const broken = promtoolCheck([{ where: 'broken', expr: 'sum by (instance (mpm_devices)' }], dir)
  t.not(broken.status, 0, 'promtool refuses a broken expression')
})

t.test("the dashboard's metric names are on a real service's /metrics (static mode)", { skip: NETNS_SKIP }, async (t) => {
  // the embedded inventory's demo devices (all on loopback)
  const b = await build(t, { PING_INTERVAL: '1', PING_TIMEOUT: '0.5' })
  await b.app.service.start()
  await b.app.listen({ host: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${(b.app.server.address() as { port: number }).port}/metrics`
  // after a cycle: the per-device series and the response time histogram have values
  const text = await waitFor(async () => {
    const body = await (await fetch(url)).text()
    return /^mpm_device_up\{/m.test(body) && /^mpm_ping_response_time_seconds_bucket\{/m.test(body) ? body : null
  }, 30_000, 'a cycle in /metrics')
  const exposed = exposedNames(text)
  const { panels, variables } = expressions()
  const used = new Set([...panels, ...variables].flatMap((e) => metricNames(e.expr)))
  const service = [...used].filter((n) => !PROMETHEUS_NAMES.has(n) && !n.startsWith('mpm_cluster_'))
  t.same(['mpm_device_up', 'mpm_last_cycle_duration_seconds', 'mpm_location_devices', 'mpm_ping_response_time_seconds_bucket'].filter((n) => !service.includes(n)), [], `device up/down, cycle duration, per location, response times among the ${service.length} names: ${service.join(', ')}`)
  t.same(service.filter((n) => !exposed.has(n)), [], 'every one is exposed')
  t.same([...used].filter((n) => !n.startsWith('mpm_') && !PROMETHEUS_NAMES.has(n)), [], 'no other name (a typo would be one)')
  t.ok([...used].some((n) => n.startsWith('mpm_cluster_')), 'the cluster names are checked in cluster.alone.test.ts')
  t.notOk(exposed.has('mpm_cluster_members'), 'static mode has no cluster metrics')
})
