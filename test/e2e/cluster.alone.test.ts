import t from 'tap'
import { connect } from '@nats-io/transport-node'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import { Kvm } from '@nats-io/kv'
import { openBuckets } from '../../src/cluster/cluster.js'
import { partitionOf } from '../../src/cluster/partition.js'
import { CSV_HEADER } from '../../src/storage/result-row.js'
import { createMysqlInventory, readCsvFiles, tempDir, waitFor, NETNS_SKIP } from '../helper.js'
import { expressions, exposedNames, metricNames, PROMETHEUS_NAMES } from './grafana-dashboard.js'
import { clusterEnv, leadBothFromOneNode, observerConnection, natsUrls, spawnInstance, startNatsCluster, type Instance } from './nats-cluster.js'

// Cluster mode for real: a 3-node nats-server JetStream cluster, service processes (dist/src/server.js)
// on one MariaDB inventory of 3,000 devices (10 % silent: 127.66.0.0/16 is dropped in the test
// namespace), and an observer that counts every published result per (device, cycle slot) on a plain
// NATS subscription, so that it also sees what the stream's de-duplication would hide.
t.setTimeout(480_000)

const DEVICES = Number(process.env.MPM_CLUSTER_DEVICES ?? 3000)
// the default interval: on this 2-core machine shared with other work, 1,000 devices per instance take
// 1.2 to 2.3 s a cycle, so a 2 s interval overran and skipped slots
const INTERVAL_S = Number(process.env.MPM_CLUSTER_INTERVAL ?? 5)
const LEASE_S = 10
const INTERVAL_MS = INTERVAL_S * 1000
const PARTITIONS = 1024
/** lease + the heartbeat + the next slot + the claim's round trips */
const TAKEOVER_BOUND_S = LEASE_S + 1 + INTERVAL_S + 2
const IDS = Array.from({ length: DEVICES }, (_, i) => i + 1)
const silent = (id: number): boolean => id % 10 === 0
const ROWS = IDS.map((id) => ({
  id,
  ip: silent(id) ? `127.66.${id >> 8}.${id & 255}` : `127.1.${id >> 8}.${id & 255}`,
  hostname: `dev-${id}`,
  kondisi: 'baik'
}))

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const slotNow = (): number => Math.floor(Date.now() / INTERVAL_MS)
const slotOf = (ms: number): number => Math.floor(ms / INTERVAL_MS)

/** per slot: device → owners that published a result for it */
const seen = new Map<number, Map<number, string[]>>()
/** per slot: the partitions whose results were published (by anyone) */
const seenPartitions = new Map<number, Set<number>>()
/** every published result by `device_id|timestamp` (as the CSV rows carry them): its slot and owners */
const published = new Map<string, { slot: number, owners: string[] }>()
const resultKey = (deviceId: number | string, timestamp: string): string => `${deviceId}|${timestamp}`

/** waits until slot s's results are all in (its cycle took at most the interval) */
async function afterSlot (s: number): Promise<void> {
  const due = (s + 1) * INTERVAL_MS + 1500
  if (Date.now() < due) await sleep(due - Date.now())
}

interface Window { misses: Array<[number, number]>, duplicates: Array<[number, number, string[]]>, slots: number }
function inspect (from: number, to: number, ids: readonly number[] = IDS): Window {
  const out: Window = { misses: [], duplicates: [], slots: to - from + 1 }
  for (let s = from; s <= to; s++) {
    const m = seen.get(s)
    for (const id of ids) {
      const owners = m?.get(id)
      if (owners === undefined) out.misses.push([id, s])
      else if (owners.length > 1) out.duplicates.push([id, s, owners])
    }
  }
  return out
}
/** misses per slot, for the message of a failed check */
function bySlot (w: Window): string {
  const per = new Map<number, number>()
  for (const [, s] of w.misses) per.set(s, (per.get(s) ?? 0) + 1)
  return [...per].map(([s, n]) => `${s}:${n}`).join(' ')
}
function ownerIn (s: number, id: number): string | undefined {
  return seen.get(s)?.get(id)?.[0]
}
function missesPerDevice (w: Window): Map<number, number> {
  const per = new Map<number, number>()
  for (const [id] of w.misses) per.set(id, (per.get(id) ?? 0) + 1)
  return per
}

t.test('cluster mode on a 3-node NATS JetStream cluster', { skip: NETNS_SKIP }, async (t) => {
  const dir = tempDir(t, 'mpm-cluster-')
  const nodes = await startNatsCluster(t, dir)
  const { database } = await createMysqlInventory(t, ROWS)

  const observer = await observerConnection()
  t.teardown(() => observer.close())
  const sub = observer.subscribe('mpm.results.>')
  ;(async () => {
    for await (const m of sub) {
      const msg = m.json<{ s: number, p: number, o: string, r: Array<{ row: { device_id: number, timestamp: string } }> }>()
      let slot = seen.get(msg.s)
      if (slot === undefined) seen.set(msg.s, slot = new Map())
      let parts = seenPartitions.get(msg.s)
      if (parts === undefined) seenPartitions.set(msg.s, parts = new Set())
      parts.add(msg.p)
      for (const r of msg.r) {
        const list = slot.get(r.row.device_id)
        if (list === undefined) slot.set(r.row.device_id, [msg.o])
        else list.push(msg.o)
        const key = resultKey(r.row.device_id, r.row.timestamp)
        const p = published.get(key)
        if (p === undefined) published.set(key, { slot: msg.s, owners: [msg.o] })
        else p.owners.push(msg.o)
      }
    }
  })().catch(() => {})

  // The case that once pinged a slot twice: the NATS node killed below leads both buckets (and runs
  // most of the live instances' watches: see the kill). The buckets are made here, before any
  // instance, so that one node leads both from the start; MPM_CLUSTER_LEADERS=as-elected leaves the
  // leaders where the elections put them.
  const forceBoth = process.env.MPM_CLUSTER_LEADERS !== 'as-elected'
  {
    const nc = await connect({ servers: natsUrls().split(',') })
    await openBuckets(new Kvm(jetstream(nc)), 'mpm', 3, LEASE_S * 1000)
    await nc.close()
    if (forceBoth) {
      const both = await leadBothFromOneNode(['KV_mpm-owners', 'KV_mpm-members'])
      t.equal(both.first, both.second, `one NATS node leads both buckets before the instances start (${String(both.first)}, ${String(both.second)})`)
    }
  }

  const env = clusterEnv({ database, servers: natsUrls(), intervalS: INTERVAL_S, leaseS: LEASE_S }, { CLUSTER_REPLICAS: '3', CLUSTER_PARTITIONS: String(PARTITIONS) })
  const instances = new Map<string, Instance & { base: string, dir: string }>()
  const launch = async (id: string): Promise<Instance & { base: string, dir: string }> => {
    const cwd = tempDir(t, `mpm-${id}-`)
    const inst = spawnInstance(t, cwd, id, { ...env, CSV_OUTPUT_DIR: cwd })
    const port = await inst.port()
    const full = { ...inst, base: `http://127.0.0.1:${port}`, dir: cwd }
    instances.set(id, full)
    return full
  }
  const health = async (id: string): Promise<any> => await (await fetch(`${instances.get(id)!.base}/api/health`)).json()
  const scrape = async (id: string): Promise<string> => await (await fetch(`${instances.get(id)!.base}/metrics`)).text()
  /** an instance's mpm_cluster_missed_cycles_total, by partition */
  const missedCounter = (text: string): Map<number, number> => {
    const out = new Map<number, number>()
    for (const m of text.matchAll(/^mpm_cluster_missed_cycles_total\{partition="(\d+)"\} (\S+)$/gm)) out.set(Number(m[1]), Number(m[2]))
    return out
  }

  // ── steady state ──
  await launch('a')
  await Promise.all([launch('b'), launch('c')])
  const converged = await waitFor(async () => {
    const s = slotNow() - 2
    const w = inspect(s, s)
    return w.misses.length === 0 && w.duplicates.length === 0 ? s : null
  }, 90_000, 'every device pinged exactly once in a slot')
  const steadyTo = converged + 5
  await afterSlot(steadyTo)
  const steady = inspect(converged, steadyTo)
  t.same([steady.misses.length, steady.duplicates.length], [0, 0], `steady state: every device exactly once per cycle over ${steady.slots} cycles (misses ${steady.misses.length}, duplicates ${steady.duplicates.length}; per slot ${bySlot(steady)})`)
  const owned = await Promise.all(['a', 'b', 'c'].map(async (id) => (await health(id)).cluster.partitions_owned as number))
  const fair = PARTITIONS / 3
  t.ok(owned.every((n) => Math.abs(n - fair) <= 0.15 * fair), `partitions balanced within ±15 % of ${fair.toFixed(0)}: ${owned.join(', ')}`)
  t.equal(owned.reduce((a, b) => a + b, 0), PARTITIONS, 'every partition has exactly one owner')

  // the fleet API of each instance lists every device with its owner; ?scope=local its own
  for (const id of ['a', 'b', 'c']) {
    const base = instances.get(id)!.base
    const status: any = await (await fetch(`${base}/api/ping/status`)).json()
    const listed = [...status.data.devices.online, ...status.data.devices.offline]
    t.equal(status.data.total_devices, DEVICES, `${id}: /status counts the whole fleet`)
    t.equal(listed.length, DEVICES, `${id}: /status lists every device of the fleet`)
    t.ok(listed.every((d: any) => ['a', 'b', 'c'].includes(d.owner)), `${id}: each with its owner`)
    t.equal(status.data.devices.offline.length, DEVICES / 10, `${id}: the silent 10 % are offline`)
    const latest: any = await (await fetch(`${base}/api/ping/latest?limit=10000`)).json()
    t.equal(latest.count, DEVICES, `${id}: /latest answers fleet-wide`)
    const local: any = await (await fetch(`${base}/api/ping/latest?limit=10000&scope=local`)).json()
    const mine = IDS.filter((d) => ownerIn(steadyTo, d) === id).length
    t.ok(Math.abs(local.count - mine) <= mine * 0.05, `${id}: ?scope=local answers for its own devices (${local.count}, ${mine} in the last cycle)`)
  }

  // ── SIGKILL one instance: its devices are covered again within the bound ──
  const last = slotNow() - 2
  await afterSlot(last)
  // the killed one's devices: those it pinged last in the latest slots (one slot alone may have been skipped)
  const cDevices = IDS.filter((id) => [last, last - 1, last - 2].map((s) => ownerIn(s, id)).find((o) => o !== undefined) === 'c')
  // from here on no device changes state for real (the silent 10 % stay down, the others up): a state
  // change logged by any instance is a hand-over repeating what the previous owner already reported
  const linesAtKill = new Map([...instances].map(([id, inst]) => [id, inst.lines.length]))
  const killedAt = Date.now()
  instances.get('c')!.child.kill('SIGKILL')
  const covered = await waitFor(async () => {
    const s = slotNow() - 2
    if (s <= slotOf(killedAt)) return null
    return inspect(s, s, cDevices).misses.length === 0 ? s : null
  }, 60_000, "the killed instance's devices covered again")
  const failoverS = (covered * INTERVAL_MS - killedAt) / 1000
  await afterSlot(covered + 2)
  const crash = inspect(slotOf(killedAt) - 1, covered + 2)
  const crashPer = missesPerDevice(crash)
  const cSet = new Set(cDevices)
  t.ok(failoverS <= TAKEOVER_BOUND_S, `SIGKILL: covered again after ${failoverS.toFixed(1)} s (bound ${TAKEOVER_BOUND_S} s)`)
  t.same([...crashPer.keys()].filter((id) => !cSet.has(id)).length, 0, `SIGKILL: misses only on the killed instance's devices (from slot ${slotOf(killedAt)}, covered ${covered}; per slot ${bySlot(crash)})`)
  t.equal(crash.duplicates.length, 0, 'SIGKILL: 0 duplicates')
  const crashMaxMissed = Math.max(0, ...crashPer.values())
  t.comment(`FIGURE sigkill: failover ${failoverS.toFixed(1)} s, ${crash.misses.length} missed device-cycles on ${cDevices.length} devices (at most ${crashMaxMissed} cycles per device), ${crash.duplicates.length} duplicates`)

  // a's /metrics in cluster mode: every metric name of the Grafana dashboard is there, and the cycles
  // it counted missed per partition are the ones the observer saw nobody publish
  const aText = await scrape('a')
  const exposed = exposedNames(aText)
  const { panels: dashExprs, variables: dashVars } = expressions()
  const dashNames = [...new Set([...dashExprs, ...dashVars].flatMap((e) => metricNames(e.expr)))].filter((n) => !PROMETHEUS_NAMES.has(n))
  t.ok(dashNames.filter((n) => n.startsWith('mpm_cluster_')).length >= 6, `the dashboard reads the cluster metrics: ${dashNames.filter((n) => n.startsWith('mpm_cluster_')).join(', ')}`)
  t.same(dashNames.filter((n) => !exposed.has(n)), [], `every metric name of the Grafana dashboard is on a cluster-mode instance's /metrics (${dashNames.length} names)`)
  t.match(aText, /^mpm_cluster_members 2$/m, 'mpm_cluster_members: 2 after the kill')
  const fromLine = instances.get('a')!.lines.find((l) => l.misses_counted_from_slot !== undefined)
  const countFrom = Number(fromLine?.misses_counted_from_slot)
  const partsWithDevices = new Set(IDS.map((id) => partitionOf(id, PARTITIONS)))
  const observedMissed = new Map<number, number>()
  for (let s = countFrom; s <= covered + 2; s++) {
    for (const p of partsWithDevices) if (seenPartitions.get(s)?.has(p) !== true) observedMissed.set(p, (observedMissed.get(p) ?? 0) + 1)
  }
  const counted = missedCounter(aText)
  const sortMap = (m: Map<number, number>): Array<[number, number]> => [...m].sort((x, y) => x[0] - y[0])
  t.ok(counted.size > 0, `a counted missed cycles on ${counted.size} partitions`)
  t.same(sortMap(counted), sortMap(observedMissed), `mpm_cluster_missed_cycles_total{partition} on a = the partition cycles nobody published, as the observer saw (slots ${countFrom} to ${covered + 2}; ${[...counted.values()].reduce((x, y) => x + y, 0)} partition-cycles)`)

  // ── a 4th joins, then one is stopped with SIGTERM: hand-over at cycle boundaries ──
  const joinFrom = slotNow()
  await launch('d')
  await waitFor(async () => (await health('d')).cluster.partitions_owned > 0, 60_000, 'd owns partitions')
  await afterSlot(slotNow() + 2)
  const joinTo = slotNow() - 2
  const join = inspect(joinFrom, joinTo)
  t.same([join.misses.length, join.duplicates.length], [0, 0], `join: 0 misses, 0 duplicates over ${join.slots} cycles (misses ${join.misses.length}, duplicates ${join.duplicates.length}; per slot ${bySlot(join)})`)
  const dOwned = (await health('d')).cluster.partitions_owned
  t.ok(dOwned > PARTITIONS / 3 * 0.85 && dOwned < PARTITIONS / 3 * 1.15, `join: the new member took about 1/3 of the partitions (${dOwned})`)

  const termFrom = slotNow()
  const b = instances.get('b')!
  b.child.kill('SIGTERM')
  const code = await b.exited
  t.equal(code, 0, 'SIGTERM: b exits cleanly')
  await afterSlot(slotNow() + 2)
  const termTo = slotNow() - 2
  const term = inspect(termFrom, termTo)
  t.same([term.misses.length, term.duplicates.length], [0, 0], `SIGTERM: 0 misses, 0 duplicates over ${term.slots} cycles (misses ${term.misses.length}, duplicates ${term.duplicates.length}; per slot ${bySlot(term)})`)
  t.comment(`FIGURE join + sigterm: ${join.misses.length + term.misses.length} misses, ${join.duplicates.length + term.duplicates.length} duplicates`)

  // ── SIGSTOP one for 30 s: it fences itself, nothing is pinged twice, it rejoins ──
  const a = instances.get('a')!
  const stopFrom = slotNow()
  a.child.kill('SIGSTOP')
  await sleep(30_000)
  a.child.kill('SIGCONT')
  await waitFor(() => a.lines.some((l) => /fenced/.test(l.msg ?? '')), 20_000, 'a says it fenced itself')
  t.pass('SIGSTOP 30 s: after SIGCONT the instance fenced itself (logged)')
  await waitFor(async () => (await health('a')).cluster.partitions_owned > 0, 60_000, 'a owns partitions again')
  const aHealth = await health('a')
  t.ok(aHealth.cluster.fence_count >= 1, 'its health counts the fence')
  await afterSlot(slotNow() + 2)
  const stopTo = slotNow() - 2
  const stall = inspect(stopFrom, stopTo)
  const stallPer = missesPerDevice(stall)
  t.equal(stall.duplicates.length, 0, 'SIGSTOP: 0 duplicates')
  const stallTail = inspect(stopTo - 2, stopTo)
  t.equal(stallTail.misses.length, 0, `SIGSTOP: after it rejoined every device is pinged again (per slot ${bySlot(stall)}; stopped in ${stopFrom})`)
  t.comment(`FIGURE sigstop 30 s: ${stall.misses.length} missed device-cycles (at most ${Math.max(0, ...stallPer.values())} cycles per device), ${stall.duplicates.length} duplicates`)

  // ── kill the NATS node that leads the owners bucket's stream: at most one missed cycle ──
  const nc = await connect({ servers: natsUrls().split(',') })
  const jsm = await jetstreamManager(nc)
  // where the live instances' watches (ordered consumers with a subscriber) run: those on the killed
  // node stall until the client makes them again, after missed heartbeats (seconds: more than the lease)
  const watchesOn = async (stream: string): Promise<string[]> => {
    const on: string[] = []
    for await (const c of jsm.consumers.list(stream)) if (c.push_bound === true) on.push(c.cluster?.leader ?? '?')
    return on.sort()
  }
  const watches = { owners: await watchesOn('KV_mpm-owners'), members: await watchesOn('KV_mpm-members') }
  if (forceBoth) {
    // the worst case: the node that runs most of the live watches leads both buckets as well
    const count = new Map<string, number>()
    for (const n of [...watches.owners, ...watches.members]) count.set(n, (count.get(n) ?? 0) + 1)
    const target = [...count].sort((x, y) => y[1] - x[1])[0]?.[0]
    await leadBothFromOneNode(['KV_mpm-owners', 'KV_mpm-members'], target)
  }
  const leader = (await jsm.streams.info('KV_mpm-owners')).cluster?.leader
  const membersLeader = (await jsm.streams.info('KV_mpm-members')).cluster?.leader
  const watchPlaces = `live owners watches on ${watches.owners.join(',')}; live members watches on ${watches.members.join(',')}`
  await nc.close()
  const node = nodes.find((n) => n.name === leader)
  t.ok(node !== undefined, `the owners bucket has a leader (${String(leader)}; members bucket: ${String(membersLeader)}; ${watchPlaces})`)
  if (forceBoth) t.equal(leader, membersLeader, 'the node killed leads both buckets')
  const natsFrom = slotNow()
  node?.child?.kill('SIGKILL')
  await sleep(20_000)
  await afterSlot(slotNow())
  const natsTo = slotNow() - 2
  const natsLoss = inspect(natsFrom, natsTo)
  const natsPer = missesPerDevice(natsLoss)
  const natsMax = Math.max(0, ...natsPer.values())
  t.ok(natsMax <= 1, `NATS leader killed: at most one missed cycle per device (${natsMax})`)
  // (2 Dec, before the fix: once in five runs, with the killed node leading both buckets, one slot was
  // pinged by two instances; test/cluster/coordinator-race.test.ts has that race on one server)
  t.equal(natsLoss.duplicates.length, 0, 'NATS leader killed: 0 duplicates')
  t.comment(`FIGURE nats leader ${String(leader)} killed (members bucket led by ${String(membersLeader)}): ${natsLoss.misses.length} missed device-cycles (at most ${natsMax} per device) over ${natsLoss.slots} cycles, ${natsLoss.duplicates.length} duplicates`)

  // ── the CSV files: each instance wrote the rows of the devices it pinged, and only those ──
  // every result on the stream is in exactly one CSV file (its owner's), no device-slot is in two
  // instances' files; c was SIGKILLed, so its rows of the last cycles before the kill may be missing,
  // and while the NATS node was down a row may be written whose publish failed (a miss seen above)
  await sleep(1500)
  const from = converged
  const to = natsTo
  const kill = slotOf(killedAt)
  const csvSlots = new Map<string, string[]>()
  const inCsv = new Map<string, string[]>()
  let csvRows = 0
  const notOnStream: Array<[string, number, number]> = []
  for (const [id, inst] of instances) {
    for (const r of readCsvFiles(inst.dir, 'ping_results', CSV_HEADER.trim())) {
      const key = resultKey(r[1], r[0])
      const slot = published.get(key)?.slot ?? slotOf(Date.parse(r[0]))
      if (slot < from || slot > to) continue
      csvRows++
      const list = inCsv.get(key)
      if (list === undefined) inCsv.set(key, [id])
      else list.push(id)
      const ds = `${r[1]}|${slot}`
      const owners = csvSlots.get(ds)
      if (owners === undefined) csvSlots.set(ds, [id])
      else owners.push(id)
      if (!published.has(key)) notOnStream.push([id, Number(r[1]), slot])
    }
  }
  const twice = [...csvSlots].filter(([, o]) => o.length > 1)
  const inNatsKill = ([ds]: [string, string[]]) => { const slot = Number(ds.split('|')[1]); return slot >= natsFrom && slot <= natsTo }
  const elsewhere = twice.filter((x) => !inNatsKill(x))
  t.same(elsewhere.slice(0, 5), [], `CSV: no device-slot in two instances' files outside the NATS leader kill (${elsewhere.length} of ${csvSlots.size})`)
  const inKill = twice.filter(inNatsKill)
  t.same(inKill.slice(0, 5), [], `CSV: no device-slot in two instances' files during the NATS leader kill (${inKill.length})`)
  let onStream = 0
  const notInCsv: Array<[string, string]> = []
  const wrongCsv: Array<[string, string[], string[]]> = []
  for (const [key, p] of published) {
    if (p.slot < from || p.slot > to) continue
    onStream++
    const files = inCsv.get(key) ?? []
    if (files.length === 0) notInCsv.push([key, p.owners[0]])
    else if (files.length !== 1 || files[0] !== p.owners[0]) wrongCsv.push([key, p.owners, files])
  }
  const lostToKill = notInCsv.filter(([key, owner]) => owner === 'c' && published.get(key)!.slot >= kill - 1)
  t.same(notInCsv.filter((x) => !lostToKill.includes(x)).slice(0, 5), [], `CSV: every result on the stream is in a CSV file (${onStream} results in slots ${from}-${to}; ${lostToKill.length} of the SIGKILLed c's last cycles not written)`)
  t.same(wrongCsv.slice(0, 5), [], `CSV: each in exactly one file, its owner's (${wrongCsv.length} not)`)
  // c's last cycle may have been written and killed before its publish went out
  const unpublishedByKill = notOnStream.filter(([id, , s]) => id === 'c' && s >= kill - 1 && s <= covered)
  const unexplained = notOnStream.filter((x) => !unpublishedByKill.includes(x) && (x[2] < natsFrom || x[2] > natsTo))
  t.same(unexplained.slice(0, 5), [], `CSV: every row is on the stream (${notOnStream.length} rows not: ${unpublishedByKill.length} of the SIGKILLed c, the others while a NATS node was down)`)
  const missed = new Set([...crash.misses, ...natsLoss.misses].map(([id, s]) => `${id}|${s}`))
  t.ok(notOnStream.every(([, id, s]) => missed.has(`${id}|${s}`)), 'and those are misses the observer counted')
  t.comment(`FIGURE csv cross-check: ${csvRows} CSV rows of ${instances.size} instances against ${onStream} results on the stream over ${to - from + 1} slots: ${twice.length} device-slots in two files, ${notInCsv.length} results in no file (${lostToKill.length} of SIGKILLed c), ${wrongCsv.length} in a wrong or second file, ${notOnStream.length} rows not on the stream`)

  // ── hand-overs repeat no alert: the takers took the previous owners' verdicts over ──
  let changes = 0
  let adopted = 0
  const changeLines: string[] = []
  for (const [id, inst] of instances) {
    for (const l of inst.lines.slice(linesAtKill.get(id) ?? 0)) {
      if (l.msg === 'device state changed') {
        changes++
        if (changeLines.length < 5) changeLines.push(`${id}: ${String(l.device_id)} ${String(l.from)}>${String(l.to)}`)
      } else if (l.msg === 'device states changed') {
        changes += Number(l.devices)
        if (changeLines.length < 5) changeLines.push(`${id}: ${JSON.stringify(l.to)}`)
      } else if (/device states taken over from their previous owner/.test(l.msg ?? '')) adopted += Number(l.devices)
    }
  }
  const cSilent = cDevices.filter(silent).length
  t.equal(changes, 0, `hand-overs (SIGKILL, join, SIGTERM, SIGSTOP) logged no device state change: the ${cSilent} silent devices of c and the others were not reported down again (${changeLines.join('; ')})`)
  t.ok(adopted >= cDevices.length, `the takers took over ${adopted} device states from their previous owners (c had ${cDevices.length})`)
  t.comment(`FIGURE hand-over states: ${adopted} device states taken over, ${changes} state changes (alerts) repeated`)

  // every process this test started stops in the teardown (instances, nats-servers)
  sub.unsubscribe()
})
