import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, tempDir, waitFor, NETNS_SKIP } from '../helper.js'

const DOCS = fileURLToPath(new URL('../../docs/prometheus/', import.meta.url))

t.test('the documented scrape configuration and alert rules are valid', async (t) => {
  const config = spawnSync('promtool', ['check', 'config', join(DOCS, 'prometheus.yml')], { encoding: 'utf8' })
  t.equal(config.status, 0, config.stdout + config.stderr)
  // the rule "device down for 2 minutes" and the fleet-wide counts, on made-up series (15 s scrapes)
  const dir = tempDir(t, 'mpm-rules-')
  const labels = (id: number, instance: string) => `device_id="${id}",ip="10.0.0.${id}",hostname="dev-${id}",instance="${instance}",job="multi-ping-monitor"`
  writeFileSync(join(dir, 'test.yml'), `
rule_files: ['${join(DOCS, 'alerts.yml')}']
evaluation_interval: 15s
tests:
  - interval: 15s
    input_series:
      - series: 'mpm_device_up{${labels(1, 'a:5000')}}'
        values: '1x20'
      - series: 'mpm_device_up{${labels(2, 'b:5000')}}'
        values: '1 1 0x18'
      # flaps: never down for 2 minutes, never alerted
      - series: 'mpm_device_up{${labels(3, 'c:5000')}}'
        values: '1 0 0 0 0 1 0 0 0 0 1 0 0 0 0 1 0 0 0 0'
      # a location of 4 devices goes down on two shards: one LocationDown, no DeviceDown for its devices
      - series: 'mpm_device_up{${labels(4, 'a:5000')},location_id="3"}'
        values: '1 1 0x18'
      - series: 'mpm_device_up{${labels(5, 'b:5000')},location_id="3"}'
        values: '1 1 0x18'
      - series: 'mpm_location_devices{location_id="3",location="Gedung B",state="down",instance="a:5000",job="multi-ping-monitor"}'
        values: '0 0 2x18'
      - series: 'mpm_location_devices{location_id="3",location="Gedung B",state="unreachable",instance="b:5000",job="multi-ping-monitor"}'
        values: '0 0 2x18'
      - series: 'mpm_location_devices{location_id="3",location="Gedung B",state="up",instance="a:5000",job="multi-ping-monitor"}'
        values: '2 2 0x18'
      - series: 'mpm_location_devices{location_id="3",location="Gedung B",state="up",instance="b:5000",job="multi-ping-monitor"}'
        values: '2 2 0x18'
    alert_rule_test:
      - eval_time: 3m
        alertname: LocationDown
        exp_alerts:
          - exp_labels: { severity: critical, location_id: '3', location: 'Gedung B' }
            exp_annotations:
              summary: 'Location Gedung B (id 3) is down: 4 devices down or unreachable'
      - eval_time: 2m
        alertname: DeviceDown
        exp_alerts: []
      - eval_time: 3m
        alertname: DeviceDown
        exp_alerts:
          - exp_labels: { severity: warning, ${labels(2, 'b:5000').replace(/=/g, ': ')} }
            exp_annotations:
              summary: 'Device dev-2 (10.0.0.2, id 2) is down'
              description: 'No reply for 2 minutes (monitored by b:5000).'
    promql_expr_test:
      - expr: count(mpm_device_up == 1) or vector(0)
        eval_time: 3m
        exp_samples: [{ labels: '{}', value: 1 }]
      - expr: count(mpm_device_up == 0) or vector(0)
        eval_time: 3m
        exp_samples: [{ labels: '{}', value: 4 }]
`)
  const rules = spawnSync('promtool', ['test', 'rules', join(dir, 'test.yml')], { encoding: 'utf8' })
  t.equal(rules.status, 0, rules.stdout + rules.stderr)
})

t.test('a real Prometheus scrapes the service and a series comes back', { skip: NETNS_SKIP }, async (t) => {
  // the embedded inventory's demo devices: all on loopback
  const b = await build(t, { PING_INTERVAL: '1', PING_TIMEOUT: '0.5' })
  await b.app.service.start()
  await b.app.listen({ host: '127.0.0.1', port: 0 })
  const target = `127.0.0.1:${(b.app.server.address() as { port: number }).port}`

  const dir = tempDir(t, 'mpm-prom-')
  // scrapes this service only: no alertmanager, no remote write, nothing but loopback
  writeFileSync(join(dir, 'prometheus.yml'), `global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: multi-ping-monitor
    static_configs:
      - targets: ['${target}']
`)
  const port = 20000 + Math.floor(Math.random() * 20000)
  const prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  prom.stderr.on('data', (d) => { log += String(d) })
  const exited = new Promise((resolve) => prom.once('exit', resolve))
  t.teardown(async () => {
    prom.kill('SIGTERM')
    const timer = setTimeout(() => prom.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  })

  const query = async (q: string): Promise<any[]> => {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`)
      const body: any = await res.json()
      return body.status === 'success' ? body.data.result : []
    } catch {
      return []
    }
  }
  const found = await waitFor(async () => {
    if (prom.exitCode !== null) throw new Error(`prometheus exited: ${log}`)
    const r = await query('mpm_device_up{device_id="1"}')
    return r.length > 0 ? r : null
  }, 45_000, 'Prometheus to scrape mpm_device_up')
  t.equal(found.length, 1)
  t.match(found[0].metric, { __name__: 'mpm_device_up', job: 'multi-ping-monitor', instance: target, device_id: '1', ip: '127.0.0.1', hostname: 'demo-gateway' })
  t.equal(found[0].value[1], '1', 'up')
  const health = await query(`up{instance="${target}"}`)
  t.equal(health[0]?.value[1], '1', 'the scrape itself succeeded')
  const shard = await query('mpm_shard_info')
  t.match(shard[0]?.metric, { shard_index: '0', shard_count: '1' })
  const monitored = await waitFor(async () => (await query('count(mpm_device_up == 1)'))[0]?.value[1] === '5', 15_000, 'all five demo devices up in Prometheus')
  t.ok(monitored)
})
