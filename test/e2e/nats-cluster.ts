import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { MYSQL_SOCKET, SERVER_JS, waitFor, type TestContext } from '../helper.js'

// A real 3-node nats-server JetStream cluster (Debian's nats-server 2.9) on ports of its own: the
// machine may run a server on 4222. Every process started here is killed in the teardown.

export const NATS_SERVER = process.env.MPM_NATS_SERVER ?? '/usr/sbin/nats-server'
export const CLIENT_PORTS = [14222, 14223, 14224]
const CLUSTER_PORTS = [16222, 16223, 16224]

export interface NatsNode { name: string, port: number, child: ChildProcess | null, start: () => void }

export function natsUrls (): string {
  return CLIENT_PORTS.map((p) => `nats://127.0.0.1:${p}`).join(',')
}

export async function startNatsCluster (t: TestContext, dir: string): Promise<NatsNode[]> {
  const nodes: NatsNode[] = CLIENT_PORTS.map((port, i) => {
    const name = `n${i + 1}`
    const store = join(dir, name)
    mkdirSync(store, { recursive: true })
    const routes = CLUSTER_PORTS.filter((_, j) => j !== i).map((p) => `"nats-route://127.0.0.1:${p}"`).join(', ')
    const conf = join(dir, `${name}.conf`)
    writeFileSync(conf, [
      `server_name: ${name}`,
      `listen: "127.0.0.1:${port}"`,
      `jetstream { store_dir: "${store}" }`,
      `cluster { name: mpmtest, listen: "127.0.0.1:${CLUSTER_PORTS[i]}", routes: [${routes}] }`
    ].join('\n') + '\n')
    const node: NatsNode = {
      name,
      port,
      child: null,
      start: () => {
        const child = spawn(NATS_SERVER, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
        child.stderr?.resume()
        node.child = child
        child.on('exit', () => { if (node.child === child) node.child = null })
      }
    }
    return node
  })
  t.teardown(() => { for (const n of nodes) n.child?.kill('SIGKILL') })
  for (const n of nodes) n.start()
  await waitForJetStream(natsUrls())
  return nodes
}

/** One nats-server with JetStream on `port` (store under `dir`), ready for streams; answers its URL. */
export async function startNatsServer (t: TestContext, dir: string, port: number): Promise<string> {
  const nats = spawn(NATS_SERVER, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: ['ignore', 'ignore', 'pipe'] })
  nats.stderr?.resume()
  t.teardown(() => { nats.kill('SIGKILL') })
  const url = `nats://127.0.0.1:${port}`
  await waitForJetStream(url)
  return url
}

/** Waits until the servers listen and JetStream has a meta leader: a stream can be created then. */
async function waitForJetStream (servers: string): Promise<void> {
  const nc = await waitFor(async () => { try { return await connect({ servers: servers.split(','), timeout: 1000 }) } catch { return null } }, 20_000, 'nats-server listening')
  try {
    await waitFor(async () => {
      try {
        const info = (await nc.request('$JS.API.INFO', undefined, { timeout: 1000 })).json<any>()
        return info.error === undefined ? true : null
      } catch { return null }
    }, 30_000, 'JetStream meta leader')
  } finally {
    await nc.close()
  }
}

/**
 * The settings every cluster-mode instance of these tests runs with: the MariaDB inventory `database`,
 * NATS at `servers`, short timeouts; `extra` adds or overrides (CSV_OUTPUT_DIR is per instance).
 */
export function clusterEnv (o: { database: string, servers: string, intervalS: number, leaseS: number }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DB_CONNECTION: 'mysql',
    DB_SOCKET: MYSQL_SOCKET,
    DB_DATABASE: o.database,
    PING_INTERVAL: String(o.intervalS),
    PING_TIMEOUT: '0.5',
    LOG_LEVEL: 'info',
    CLUSTER_MODE: 'nats',
    NATS_SERVERS: o.servers,
    CLUSTER_LEASE: String(o.leaseS),
    HISTORY_HOURS: '1',
    ...extra
  }
}

export interface Instance {
  id: string
  child: ChildProcess
  lines: any[]
  exited: Promise<number | null>
  port: () => Promise<number>
}

export function spawnInstance (t: TestContext, cwd: string, id: string, env: Record<string, string>): Instance {
  const child = spawn(process.execPath, [SERVER_JS], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOST: '127.0.0.1', PORT: '0', INSTANCE_ID: id, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const lines: any[] = []
  let buf = ''
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    buf += d
    const parts = buf.split('\n')
    buf = parts.pop() ?? ''
    for (const l of parts) if (l.startsWith('{')) { try { lines.push(JSON.parse(l)) } catch {} }
  })
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { if (!d.includes('ExperimentalWarning') && !d.includes('--trace-warnings')) process.stderr.write(`[${id}] ${d}`) })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(() => {
    // MPM_CLUSTER_LOG_DIR keeps each instance's log lines for a look after a failed run
    const logDir = process.env.MPM_CLUSTER_LOG_DIR
    if (logDir !== undefined) {
      mkdirSync(logDir, { recursive: true })
      writeFileSync(join(logDir, `${id}.jsonl`), lines.map((l) => JSON.stringify(l)).join('\n') + '\n')
    }
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT')
      child.kill('SIGKILL')
    }
  })
  const port = async (): Promise<number> => {
    const line = await waitFor(() => {
      if (child.exitCode !== null) throw new Error(`${id} exited with ${child.exitCode} before listening`)
      return lines.find((l) => /Server listening at http:\/\/127\.0\.0\.1:/.test(l.msg))
    }, 60_000, `${id} listening`)
    return Number(/:(\d+)$/.exec(line.msg)![1])
  }
  return { id, child, lines, exited, port }
}

export async function observerConnection (): Promise<NatsConnection> {
  return await connect({ servers: natsUrls().split(','), maxReconnectAttempts: -1, reconnectTimeWait: 200 })
}

/**
 * Has one NATS node lead both streams (test-only: the case where killing it leaves both buckets
 * without a leader at once): `target`, or else whichever leads the first. The JetStream API has no
 * "move the leader to node X": a stream's leader steps down (another replica is elected) until it is
 * the one wanted. Answers both leaders.
 */
export async function leadBothFromOneNode (streams: [string, string], target?: string, attempts = 16): Promise<{ first?: string, second?: string }> {
  const nc = await connect({ servers: natsUrls().split(',') })
  try {
    const jsm = await jetstreamManager(nc)
    // a new leader is elected in a second or two; until then info has none
    const leaderOf = async (s: string): Promise<string> => await waitFor(async () => { try { return (await jsm.streams.info(s)).cluster?.leader ?? null } catch { return null } }, 15_000, `a leader for ${s}`)
    const stepDown = async (s: string): Promise<void> => { await nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${s}`, undefined, { timeout: 5000 }).catch(() => {}) }
    const want = target ?? await leaderOf(streams[0])
    for (const s of streams) {
      for (let i = 0; i < attempts && await leaderOf(s) !== want; i++) await stepDown(s)
    }
    return { first: await leaderOf(streams[0]), second: await leaderOf(streams[1]) }
  } finally {
    await nc.close()
  }
}
