import { spawn, type ChildProcess } from 'node:child_process'
import { createConnection } from 'node:net'
import { MYSQL_SOCKET, type TestContext } from './helper.js'

/**
 * A TCP port on 127.0.0.1 bridged by socat to MariaDB's Unix socket, that a test can cut and restore:
 * a real database outage as the service sees it.
 */
export class DbBridge {
  private proc: ChildProcess | null = null
  constructor (readonly port: number) {}

  async up (): Promise<void> {
    if (this.proc !== null) return
    // detached: its own process group, so cutting it also ends the forked per-connection children
    this.proc = spawn('socat', [`TCP-LISTEN:${this.port},bind=127.0.0.1,reuseaddr,fork`, `UNIX-CONNECT:${MYSQL_SOCKET}`], { stdio: 'ignore', detached: true })
    for (let i = 0; i < 100; i++) {
      if (await canConnect(this.port)) return
      await new Promise((resolve) => setTimeout(resolve, 30))
    }
    throw new Error('socat bridge did not come up')
  }

  /** Freezes the bridge: connections stay open but nothing moves (a stalled database). */
  stall (): void {
    if (this.proc?.pid !== undefined) process.kill(-this.proc.pid, 'SIGSTOP')
  }

  resume (): void {
    if (this.proc?.pid !== undefined) process.kill(-this.proc.pid, 'SIGCONT')
  }

  down (): void {
    if (this.proc?.pid !== undefined) {
      try { process.kill(-this.proc.pid, 'SIGKILL') } catch {}
      try { process.kill(-this.proc.pid, 'SIGCONT') } catch {}
    }
    this.proc = null
  }
}

export async function dbBridge (t: TestContext, up = true): Promise<DbBridge> {
  const b = new DbBridge(20000 + Math.floor(Math.random() * 20000))
  t.teardown(() => b.down())
  if (up) await b.up()
  return b
}

function canConnect (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port })
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
  })
}
