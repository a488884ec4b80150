import t from 'tap'
import { createMysqlInventory, tempDir, waitFor, NETNS_SKIP } from '../helper.js'
import { clusterEnv, spawnInstance, startNatsServer, type Instance } from './nats-cluster.js'

// The fleet-wide answers of cluster mode beyond /status and /latest, for real: a single nats-server
// with JetStream on a port of its own, two service processes (dist/src/server.js) on one small
// MariaDB inventory. /groups from each instance counts every device of the fleet; a device's history
// spans the instances that pinged it (asked over NATS request-reply), and says partial: true, with
// the missing owner, when an instance does not answer (SIGSTOP) or is gone (SIGTERM).
t.setTimeout(150_000)

const NATS_PORT = 15231
const DEVICES = 40
const INTERVAL_S = 2
const LEASE_S = 4
const PEER_TIMEOUT_S = 1
const IDS = Array.from({ length: DEVICES }, (_, i) => i + 1)
// 127.66.0.0/16 is dropped in the test namespace: a silent device
const silent = (id: number): boolean => id % 10 === 0
const ROWS = IDS.map((id) => ({
  id,
  ip: silent(id) ? `127.66.0.${id}` : `127.1.0.${id}`,
  hostname: `dev-${id}`,
  kondisi: 'baik',
  id_lokasi: 1 + (id % 3),
  jenis_barang_id: 1
}))

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)

t.test('cluster mode: groups and device history across the fleet', { skip: NETNS_SKIP }, async (t) => {
  const dir = tempDir(t, 'mpm-cluster-fleet-')
  const natsUrl = await startNatsServer(t, dir, NATS_PORT)
  const { database } = await createMysqlInventory(t, ROWS)
  const env = clusterEnv({ database, servers: natsUrl, intervalS: INTERVAL_S, leaseS: LEASE_S }, {
    DOWN_AFTER_FAILURES: '2',
    CLUSTER_PARTITIONS: '64',
    CLUSTER_PREFIX: 'mpmfleet',
    CLUSTER_PEER_TIMEOUT: String(PEER_TIMEOUT_S)
  })
  const dirs = new Map<string, string>()
  const bases = new Map<string, string>()
  const launch = async (id: string): Promise<Instance> => {
    let cwd = dirs.get(id)
    if (cwd === undefined) dirs.set(id, cwd = tempDir(t, `mpm-fleet-${id}-`))
    const inst = spawnInstance(t, cwd, id, { ...env, CSV_OUTPUT_DIR: cwd })
    bases.set(id, `http://127.0.0.1:${await inst.port()}`)
    return inst
  }
  const get = async (id: string, path: string): Promise<any> => {
    const res = await fetch(`${bases.get(id) as string}${path}`)
    const body: any = await res.json()
    if (res.status !== 200) throw new Error(`${id} ${path}: ${res.status} ${JSON.stringify(body)}`)
    return body
  }
  /** device → owner, as instance `id`'s fleet view has it */
  const owners = async (id: string): Promise<Map<number, string>> => {
    const s = (await get(id, '/api/ping/status')).data
    return new Map([...s.devices.online, ...s.devices.offline].map((d: any) => [d.device_id, d.owner]))
  }
  const history = (id: string, device: number): Promise<any> => get(id, `/api/ping/device/${device}?hours=1`)
  const timeline = (id: string, device: number): Promise<any> => get(id, `/api/ping/devices/${device}/timeline?hours=1&bucket=60`)

  // ── a alone pings everything for a few cycles, then b joins and takes about half ──
  const started = Date.now()
  await launch('a')
  await waitFor(async () => { const o = await owners('a'); return o.size === DEVICES && [...o.values()].every((x) => x === 'a') }, 30_000, 'a pings every device')
  await sleep(2 * INTERVAL_S * 1000)
  let b = await launch('b')
  const moved = await waitFor(async () => {
    const o = await owners('a')
    const toB = IDS.filter((d) => o.get(d) === 'b')
    return toB.length > 0 && toB.length < DEVICES ? toB : null
  }, 30_000, 'b takes partitions over')
  t.ok(moved.length > 0 && moved.length < DEVICES, `b took ${moved.length} of ${DEVICES} devices at its join`)
  // two more cycles of b's own, and the states of the silent devices settled (DOWN_AFTER_FAILURES=2)
  await sleep(2 * INTERVAL_S * 1000 + 1000)

  // ── /groups: from either instance, the whole fleet ──
  const silentCount = IDS.filter(silent).length
  for (const id of ['a', 'b']) {
    const g = await waitFor(async () => {
      const r = await get(id, '/api/ping/groups?by=location')
      return sum(r.data.map((x: any) => x.unknown)) === 0 && sum(r.data.map((x: any) => x.down + x.unreachable)) === silentCount ? r : null
    }, 15_000, `${id}: fleet groups with a verdict for every device`)
    t.equal(sum(g.data.map((x: any) => x.total)), DEVICES, `${id}: /groups counts every device of the fleet`)
    t.same(g.data.map((x: any) => x.id).sort(), [1, 2, 3], `${id}: one group per location`)
    t.equal(sum(g.data.map((x: any) => x.up)), DEVICES - silentCount, `${id}: the answering devices are up, whoever pings them`)
  }
  const byLocA = (await get('a', '/api/ping/groups?by=location')).data
  const byLocB = (await get('b', '/api/ping/groups?by=location')).data
  t.same(byLocB, byLocA, 'both instances give the same fleet groups')
  // ?scope=local: b's own verdicts only; the devices it never pinged are unknown there
  const ownedByB = await owners('b')
  const bDevices = IDS.filter((d) => ownedByB.get(d) === 'b').length
  const local = (await get('b', '/api/ping/groups?by=location&scope=local')).data
  t.equal(sum(local.map((x: any) => x.total)), DEVICES, 'scope=local: the whole inventory is counted')
  t.equal(DEVICES - sum(local.map((x: any) => x.unknown)), bDevices, `scope=local: b has a verdict for the ${bDevices} devices it pings, no more`)

  // ── a device that moved from a to b at the join: its history spans both, from either instance ──
  const x = moved.find((d) => !silent(d)) ?? moved[0]
  for (const id of ['a', 'b']) {
    const h = await history(id, x)
    const who = new Set(h.data.map((r: any) => r.owner))
    t.equal(h.partial, false, `${id}: device ${x}'s history is complete (partial: false)`)
    t.same(h.missing_owners, [], `${id}: no owner missing`)
    t.ok(who.has('a') && who.has('b'), `${id}: device ${x}'s history holds a's results and b's (${h.count} rows: ${[...who].join(', ')})`)
    const times = h.data.map((r: any) => Date.parse(r.timestamp))
    t.ok(times.every((v: number, i: number) => i === 0 || times[i - 1] >= v), `${id}: merged newest first`)
    t.equal(h.data[0].owner, 'b', `${id}: the newest result is b's`)
    t.equal(h.data[h.data.length - 1].owner, 'a', `${id}: the oldest is a's`)
    t.equal(new Set(times).size, times.length, `${id}: no result twice`)
    const h1 = h.count
    const tl = await timeline(id, x)
    const h2 = (await history(id, x)).count
    const pings = sum(tl.data.map((bk: any) => bk.pings))
    t.equal(tl.partial, false, `${id}: the timeline is complete`)
    t.ok(pings >= h1 && pings <= h2, `${id}: the timeline counts every owner's pings (${h1} ≤ ${pings} ≤ ${h2})`)
  }

  // ── b does not answer (SIGSTOP): a's answer says which owner is missing, within the timeout ──
  b.child.kill('SIGSTOP')
  const t0 = Date.now()
  const stalled = await history('a', x)
  const waited = Date.now() - t0
  const stalledTl = await timeline('a', x)
  b.child.kill('SIGCONT')
  t.equal(stalled.partial, true, 'b stopped: partial: true')
  t.same(stalled.missing_owners, ['b'], 'b stopped: b is the missing owner')
  t.ok(stalled.data.length > 0 && stalled.data.every((r: any) => r.owner === 'a'), 'b stopped: a\'s own results are there')
  t.ok(waited >= PEER_TIMEOUT_S * 1000 - 50 && waited < PEER_TIMEOUT_S * 1000 + 3000, `b stopped: answered after the ${PEER_TIMEOUT_S} s timeout (${waited} ms, under load)`)
  t.same([stalledTl.partial, stalledTl.missing_owners], [true, ['b']], 'b stopped: the timeline says so too')
  const back = await waitFor(async () => { const h = await history('a', x); return h.partial === false ? h : null }, 15_000, 'b answers again')
  t.ok(back.data.some((r: any) => r.owner === 'b'), 'b continued: complete again')

  // ── b stops (SIGTERM): its devices go back to a; b's part of the history went with it ──
  const termAt = Date.now()
  b.child.kill('SIGTERM')
  t.equal(await b.exited, 0, 'SIGTERM: b exits cleanly')
  await waitFor(async () => (await owners('a')).get(x) === 'a' && (await history('a', x)).data[0].owner === 'a', 20_000, `device ${x} back with a`)
  const gone = await history('a', x)
  t.same([gone.partial, gone.missing_owners], [true, ['b']], 'b gone: partial: true, b missing (its results were only in b)')

  // ── b restarts (same INSTANCE_ID, same CSV directory): it reads its part back and gets it again ──
  b = await launch('b')
  const whole = await waitFor(async () => {
    const h = await history('a', x)
    return h.partial === false && h.data.some((r: any) => r.owner === 'b' && Date.parse(r.timestamp) < termAt) ? h : null
  }, 30_000, 'b\'s part of the history back after its restart')
  const stints = whole.data.map((r: any) => r.owner).filter((o: string, i: number, all: string[]) => i === 0 || all[i - 1] !== o)
  t.ok(stints.length >= 3, `the history spans the owners in turn, newest first: ${stints.join(' ← ')}`)
  t.comment(`cluster-fleet test ran ${Math.round((Date.now() - started) / 1000)} s`)

  b.child.kill('SIGTERM')
  await b.exited
})
