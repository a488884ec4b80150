import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir, waitFor, NETNS_SKIP } from '../helper.js'
import { NATS_SERVER, spawnInstance } from './nats-cluster.js'

// CLUSTER_MODE=nats with NATS out of reach at start: the service runs (API up, health 'degraded' with
// the reason), pings nothing, and tries again with a backoff; once a nats-server listens on the port
// it joins, owns every partition (the only member) and pings the embedded inventory's devices.
// A port of this test's own (cluster-ops: 14251), not the 3-node cluster's 14222-14224.
const NATS_PORT = 14251
const PARTITIONS = 64

t.test('NATS unreachable at start: up and degraded, pinging nothing, joins when NATS comes', { skip: NETNS_SKIP }, async (t) => {
  const cwd = tempDir(t, 'mpm-cluster-start-')
  const inst = spawnInstance(t, cwd, 'lonely', {
    // the embedded SQLite inventory's five demo devices (all on loopback)
    PING_INTERVAL: '1',
    PING_TIMEOUT: '0.5',
    LOG_LEVEL: 'info',
    CSV_OUTPUT_DIR: cwd,
    CLUSTER_MODE: 'nats',
    NATS_SERVERS: `nats://127.0.0.1:${NATS_PORT}`,
    CLUSTER_PARTITIONS: String(PARTITIONS),
    CLUSTER_LEASE: '5',
    CLUSTER_PREFIX: 'mpmstart'
  })
  const base = `http://127.0.0.1:${await inst.port()}`
  const health = async (): Promise<any> => await (await fetch(`${base}/api/health`)).json()

  // a few retries go by (1 s, 2 s, ...): the process stays up, the monitor cycles, nothing is pinged
  await waitFor(() => inst.lines.filter((l) => /NATS not reachable/.test(l.msg ?? '')).length >= 2 ? true : null, 20_000, 'two failed NATS attempts logged')
  await waitFor(async () => (await health()).monitor.cycles >= 2 ? true : null, 20_000, 'two cycles')
  const down = await health()
  t.equal(inst.child.exitCode, null, 'the process is still running')
  t.equal(down.status, 'degraded', 'health is degraded')
  t.ok(down.reasons.some((r: string) => /cluster: fenced, NATS not reachable \(\d+ attempts, last: .+\)/.test(r)), `health says why: ${JSON.stringify(down.reasons)}`)
  t.match(down.cluster, { fenced: true, nats_connected: false, partitions_owned: 0, members: [] })
  t.equal(down.csv.rows_written, 0, 'no device was pinged (no CSV row)')
  const retries = inst.lines.filter((l) => /NATS not reachable/.test(l.msg ?? '')).map((l) => l.retry_in_s)
  t.same(retries.slice(0, 2), [1, 2], `the retries back off (${retries.join(', ')} s)`)

  // NATS comes: a single JetStream node on that port
  const store = join(cwd, 'nats')
  mkdirSync(store)
  const nats = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(NATS_PORT), '-js', '-sd', store], { stdio: ['ignore', 'ignore', 'pipe'] })
  nats.stderr.resume()
  t.teardown(() => { nats.kill('SIGKILL') })
  const cameAt = Date.now()
  const joined = await waitFor(async () => {
    const h = await health()
    return h.status === 'healthy' && h.cluster.partitions_owned === PARTITIONS ? h : null
  }, 45_000, 'the instance joined and owns every partition')
  t.comment(`FIGURE nats unreachable at start: ${String(inst.lines.filter((l) => /NATS not reachable/.test(l.msg ?? '')).length)} failed attempts; owned every partition ${((Date.now() - cameAt) / 1000).toFixed(1)} s after nats-server started`)
  t.match(joined.cluster, { fenced: false, nats_connected: true, members: ['lonely'] })
  t.ok(inst.lines.some((l) => /cluster: NATS reachable; joining the cluster/.test(l.msg ?? '')), 'it logs that it joined')
  await waitFor(async () => (await health()).csv.rows_written >= 5 ? true : null, 20_000, 'the demo devices pinged and written')
  const status: any = await (await fetch(`${base}/api/ping/status`)).json()
  t.equal(status.data.total_devices, 5, 'the fleet view lists the five demo devices')

  inst.child.kill('SIGTERM')
  t.equal(await inst.exited, 0, 'SIGTERM: exits cleanly')
})

t.test('NATS unreachable at start, then SIGTERM: the retry loop does not hold the process', { skip: NETNS_SKIP }, async (t) => {
  const cwd = tempDir(t, 'mpm-cluster-start2-')
  const inst = spawnInstance(t, cwd, 'quitter', {
    PING_INTERVAL: '1',
    CSV_OUTPUT_DIR: cwd,
    CLUSTER_MODE: 'nats',
    NATS_SERVERS: `nats://127.0.0.1:${NATS_PORT}`,
    CLUSTER_PREFIX: 'mpmstart2'
  })
  await inst.port()
  await waitFor(() => inst.lines.some((l) => /NATS not reachable/.test(l.msg ?? '')) ? true : null, 20_000, 'a failed NATS attempt logged')
  const at = Date.now()
  inst.child.kill('SIGTERM')
  t.equal(await inst.exited, 0, 'exits cleanly')
  t.ok(Date.now() - at < 15_000, `within the shutdown budget (${Date.now() - at} ms)`)
})
