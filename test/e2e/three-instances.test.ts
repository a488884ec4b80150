import t from 'tap'
import { build, createMysqlInventory, waitFor, MYSQL_SOCKET, NETNS_SKIP, type TestContext } from '../helper.js'

// Three instances on one real MariaDB inventory: together they cover every device exactly once.
const IDS = Array.from({ length: 30 }, (_, i) => i + 1)
const ROWS = IDS.map((id) => ({ id, ip: `127.0.0.${id}`, hostname: `dev-${id}`, kondisi: 'baik' }))

interface Instance { ids: number[], header: string | null, health: any, metricsDevices: number, deviceSeries: number }

/**
 * Runs SHARD_COUNT instances and answers what each one monitors: with `ping`, the devices of its
 * results after a cycle; without, the devices its inventory holds (no pings: quicker restarts).
 */
async function runFleet (t: TestContext, database: string, count: number, ping: boolean): Promise<Instance[]> {
  const apps = await Promise.all(Array.from({ length: count }, async (_, index) => {
    const env = { DB_CONNECTION: 'mysql', DB_SOCKET: MYSQL_SOCKET, DB_DATABASE: database, PING_INTERVAL: '1', PING_TIMEOUT: '0.5', LOG_LEVEL: 'warn' }
    const b = await build(t, { ...env, SHARD_COUNT: String(count), SHARD_INDEX: String(index) })
    if (ping) await b.app.service.start()
    else await b.app.inventory.start()
    await b.app.listen({ host: '127.0.0.1', port: 0 })
    return b.app
  }))
  const out: Instance[] = []
  for (const app of apps) {
    if (ping) await waitFor(() => app.monitor.status().cycles >= 1, 20_000, 'a cycle')
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
    // latest: one row per device pinged; overview: one entry per device monitored
    const latest = await fetch(ping ? `${base}/api/ping/latest?limit=10000` : `${base}/api/ping/overview?minutes=1`)
    const body: any = await latest.json()
    const health: any = await (await fetch(`${base}/api/health`)).json()
    const metrics = await (await fetch(`${base}/metrics`)).text()
    out.push({
      ids: body.data.map((r: any) => r.device_id).sort((a: number, b: number) => a - b),
      header: latest.headers.get('x-mpm-shard'),
      health,
      metricsDevices: Number(/^mpm_devices (\d+)$/m.exec(metrics)?.[1]),
      deviceSeries: (metrics.match(/^mpm_device_up\{/gm) ?? []).length
    })
  }
  // the next fleet starts on a quiet machine
  await Promise.all(apps.map((app) => app.close()))
  return out
}

t.test('three instances share one MariaDB inventory', { skip: NETNS_SKIP }, async (t) => {
  const { database } = await createMysqlInventory(t, ROWS)

  const first = await runFleet(t, database, 3, true)
  const all = first.flatMap((i) => i.ids)
  t.same([...all].sort((a, b) => a - b), IDS, 'together they cover every device exactly once (no id twice, none missing)')
  first.forEach((inst, index) => {
    t.same(inst.ids, IDS.filter((id) => id % 3 === index), `instance ${index}: the devices whose id mod 3 is ${index}`)
    t.equal(inst.header, `${index}/3`, 'the answer says which shard it is')
    t.match(inst.health, { status: 'healthy', inventory: { devices: 10, skipped_rows: 0 }, shard: { index, count: 3, other_shard_rows: 20 } })
    t.equal(inst.metricsDevices, 10, '/metrics covers the same shard')
    t.equal(inst.deviceSeries, 10, 'one mpm_device_up series per device of the shard')
  })

  const again = await runFleet(t, database, 3, false)
  t.same(again.map((i) => i.ids), first.map((i) => i.ids), 'restarted with the same SHARD_COUNT: every device stays where it was')

  const four = await runFleet(t, database, 4, false)
  t.same(four.flatMap((i) => i.ids).sort((a, b) => a - b), IDS, 'with SHARD_COUNT=4: still every device exactly once')
  const shardOf = (fleet: Instance[], id: number) => fleet.findIndex((i) => i.ids.includes(id))
  const moved = IDS.filter((id) => shardOf(four, id) !== shardOf(first, id))
  t.ok(moved.length > 0, `a changed SHARD_COUNT moves devices (${moved.length} of 30 moved)`)
  t.same(IDS.filter((id) => shardOf(four, id) !== id % 4), [], 'each to its shard under the rule')
})
