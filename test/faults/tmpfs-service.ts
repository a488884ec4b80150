import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { SERVER_JS, tempDir, waitFor, type TestContext } from '../helper.js'

export interface TmpfsService {
  /** GET (or `method`) on the service, the JSON answer */
  api: (path: string, method?: string) => Promise<any>
  /** a command inside the service's mount namespace, where the tmpfs is (remount, ls, cat) */
  inNs: (...cmd: string[]) => string
  /** the CSV directory: the tmpfs */
  out: string
  port: number
  child: ChildProcess
  exited: Promise<number | null>
}

export interface TmpfsServiceOptions {
  /** loopback devices that always answer: 127.<subnet>.<id> */
  devices: number
  subnet: string
  /** the tmpfs size, as mount's size= takes it (e.g. 12k) */
  size: string
  /** fill every page of the tmpfs before the service starts, so that no row fits */
  full?: boolean
  pingInterval: string
}

/**
 * The built service with its CSV directory on a small tmpfs in a private mount namespace of its own
 * (nothing of the host's mounts changes), on an embedded inventory of loopback devices. Returns once
 * the first cycle is done.
 */
export async function startOnTmpfs (t: TestContext, o: TmpfsServiceOptions): Promise<TmpfsService> {
  const work = tempDir(t)
  const out = join(work, 'out')
  const db = new Database(join(work, 'inv.sqlite'))
  db.exec("CREATE TABLE inventaris (id INTEGER PRIMARY KEY, ip VARCHAR(255) NOT NULL, hostname VARCHAR(255), jenis_barang_id INTEGER NOT NULL, id_lokasi INTEGER NOT NULL, kondisi VARCHAR(50) NOT NULL DEFAULT 'baik')")
  const ins = db.prepare("INSERT INTO inventaris (id, ip, hostname, jenis_barang_id, id_lokasi, kondisi) VALUES (?, ?, ?, 1, 1, 'baik')")
  for (let id = 1; id <= o.devices; id++) ins.run(id, `127.${o.subnet}.${id}`, `dev-${id}`)
  db.close()
  const port = 21000 + Math.floor(Math.random() * 9000)
  // the filler takes every page of the tmpfs (head stops at ENOSPC)
  const fill = o.full === true ? `{ head -c 12288 /dev/zero > '${out}/filler' || true; } && ` : ''
  const script = `mkdir -p '${out}' && mount -t tmpfs -o size=${o.size} tmpfs '${out}' && ${fill}exec '${process.execPath}' '${SERVER_JS}'`
  const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'bash', '-c', script], {
    cwd: work,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DB_CONNECTION: 'sqlite', SQLITE_FILE: join(work, 'inv.sqlite'), CSV_OUTPUT_DIR: out, PING_INTERVAL: o.pingInterval, PING_TIMEOUT: '0.5', MAX_CSV_RECORDS: '0', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit']
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(() => { child.kill('SIGKILL') })
  const inNs = (...cmd: string[]) => execFileSync('nsenter', ['-t', String(child.pid), '-m', '--', ...cmd], { encoding: 'utf8' })
  const api = async (path: string, method = 'GET') => await (await fetch(`http://127.0.0.1:${port}${path}`, { method })).json()
  await waitFor(async () => { try { return (await api('/api/health')).monitor.cycles > 0 } catch { return false } }, 30_000, 'service up')
  return { api, inNs, out, port, child, exited }
}
