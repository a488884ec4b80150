import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import Papa from 'papaparse'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Writable } from 'node:stream'
import { randomBytes } from 'node:crypto'
import pino from 'pino'
import knexFactory, { type Knex } from 'knex'
import Fastify, { type FastifyInstance } from 'fastify'
import { buildServer, REDACT } from '../src/build.js'
import configPlugin from '../src/plugins/config.js'

export type TestContext = { teardown: (fn: () => unknown) => void }

export const IN_NETNS = process.env.MPM_NETNS_READY === '1'
export const NETNS_SKIP = IN_NETNS ? false : 'needs the private network namespace: run through `npm test`'
export const MYSQL_SOCKET = process.env.MPM_MYSQL_SOCKET ?? '/run/mysqld/mysqld.sock'
/** The inventory table, copied from the reference `../shared/fixtures/inventaris.sql` (test/fixtures/inventaris.test.ts checks the copy). */
export const FIXTURE_SQL = new URL('./fixtures/inventaris.sql', import.meta.url)
/** The built process entry (`npm test` builds first): starts in a fraction of the time the TypeScript loader takes. */
export const SERVER_JS = fileURLToPath(new URL('../dist/src/server.js', import.meta.url))

export function tempDir (t: TestContext, prefix = 'mpm-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Every log line the app writes, parsed, for assertions (and for grepping secrets). */
export class LogCapture {
  readonly lines: any[] = []
  readonly raw: string[] = []
  readonly stream = new Writable({
    write: (chunk, _enc, cb) => {
      for (const line of String(chunk).split('\n')) {
        if (line === '') continue
        this.raw.push(line)
        try { this.lines.push(JSON.parse(line)) } catch { this.lines.push({ msg: line }) }
      }
      cb()
    }
  })

  find (msg: string | RegExp): any[] {
    return this.lines.filter((l) => typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg)))
  }
}

export interface BuiltApp {
  app: FastifyInstance
  logs: LogCapture
  csvDir: string
  env: Record<string, string>
}

/** Builds the app exactly as production does, with test settings and a captured log. */
export async function build (t: TestContext, env: Record<string, string> = {}): Promise<BuiltApp> {
  const csvDir = env.CSV_OUTPUT_DIR ?? tempDir(t, 'mpm-csv-')
  const full: Record<string, string> = {
    DB_CONNECTION: 'sqlite',
    SQLITE_FILE: join(tempDir(t, 'mpm-db-'), 'inventaris.sqlite'),
    CSV_OUTPUT_DIR: csvDir,
    PING_INTERVAL: '0.5',
    PING_TIMEOUT: '1',
    LOG_LEVEL: 'debug',
    ...env
  }
  const logs = new LogCapture()
  const app = await buildServer({ env: full, loggerInstance: pino({ level: 'debug', redact: REDACT }, logs.stream) as any })
  t.teardown(() => app.close())
  return { app, logs, csvDir, env: full }
}

/** The settings the config plugin makes of `env` alone (nothing else of the app is built). */
export async function loadConfig (env: Record<string, string>): Promise<Pick<FastifyInstance, 'config' | 'settings'>> {
  const app = Fastify({ logger: false })
  await app.register(configPlugin, { env })
  await app.ready()
  await app.close()
  return { config: app.config, settings: app.settings }
}

/** A fresh MariaDB database with the real `inventaris` table, reached through the Unix socket. */
export async function createMysqlInventory (t: TestContext, rows: Array<Record<string, unknown>>): Promise<{ database: string, knex: Knex }> {
  const database = `mpm_test_${randomBytes(4).toString('hex')}`
  const admin = knexFactory({ client: 'mysql2', connection: { socketPath: MYSQL_SOCKET, user: 'root', password: '' }, pool: { min: 0, max: 1 } })
  await admin.raw(`CREATE DATABASE \`${database}\``)
  await admin.destroy()
  const knex = knexFactory({ client: 'mysql2', connection: { socketPath: MYSQL_SOCKET, user: 'root', password: '', database, multipleStatements: true }, pool: { min: 0, max: 2 } })
  await knex.raw(readFileSync(FIXTURE_SQL, 'utf8'))
  if (rows.length > 0) await knex('inventaris').insert(rows.map((r) => ({ jenis_barang_id: 1, id_lokasi: 1, ...r })))
  t.teardown(async () => {
    await knex.raw(`DROP DATABASE IF EXISTS \`${database}\``)
    await knex.destroy()
  })
  return { database, knex }
}

/** Waits until `check` returns a truthy value (polling), or fails after `ms`. */
export async function waitFor<T> (check: () => T | Promise<T>, ms = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const until = Date.now() + ms
  for (;;) {
    const v = await check()
    if (v) return v as NonNullable<T>
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The data rows of every PREFIX_*.csv file in `dir`, in file order; each file must start with `header`. */
export function readCsvFiles (dir: string, prefix: string, header: string): string[][] {
  const out: string[][] = []
  for (const f of readdirSync(dir).filter((n) => n.startsWith(prefix + '_')).sort()) {
    const data = Papa.parse<string[]>(readFileSync(join(dir, f), 'utf8'), { skipEmptyLines: true }).data
    if (data[0].join(',') !== header) throw new Error(`${f}: wrong header`)
    out.push(...data.slice(1))
  }
  return out
}
