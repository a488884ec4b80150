import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import knexFactory, { type Knex } from 'knex'
import type { Config } from '../config/env-schema.js'

export type InventoryKind = 'mysql' | 'sqlite'

export function inventoryKind (config: Pick<Config, 'DB_CONNECTION'>): InventoryKind {
  return config.DB_CONNECTION === 'sqlite' ? 'sqlite' : 'mysql'
}

/** Where the inventory lives, for log lines: never includes the password. */
export function describeInventory (config: Config): string {
  if (inventoryKind(config) === 'sqlite') return `embedded SQLite inventory at ${resolve(config.SQLITE_FILE)}`
  const where = config.DB_SOCKET !== undefined ? `socket ${config.DB_SOCKET}` : `${config.DB_HOST}:${config.DB_PORT}`
  return `MySQL inventory ${config.DB_DATABASE} at ${where} as ${config.DB_USERNAME}`
}

export const QUERY_TIMEOUT_MS = 10_000

// knex's own console warnings (e.g. every failed connection attempt with a stack) would duplicate our
// one error line per outage; they go to debug level instead
export type KnexLog = (message: unknown) => void

export function createKnex (config: Config, debugLog: KnexLog = () => {}): Knex {
  const log = { warn: debugLog, error: debugLog, debug: debugLog, deprecate: debugLog }
  if (inventoryKind(config) === 'sqlite') {
    mkdirSync(dirname(resolve(config.SQLITE_FILE)), { recursive: true })
    return knexFactory({
      client: 'better-sqlite3',
      connection: { filename: config.SQLITE_FILE },
      useNullAsDefault: true,
      log,
      pool: { min: 0, max: 1 }
    })
  }
  return knexFactory({
    client: 'mysql2',
    connection: {
      host: config.DB_HOST,
      port: config.DB_PORT,
      user: config.DB_USERNAME,
      password: config.DB_PASSWORD,
      database: config.DB_DATABASE,
      ...(config.DB_SOCKET !== undefined ? { socketPath: config.DB_SOCKET } : {}),
      connectTimeout: 5000,
      supportBigNumbers: true,
      // ids and ips only: keep BIGINT ids as strings so nothing is silently rounded
      bigNumberStrings: true,
      // tenggat_maintenance as the inventory wrote it ('2026-12-31'), not a Date at the local
      // midnight of whatever time zone this process runs in (mysql2 takes a list of types; knex's
      // typing knows only the boolean)
      dateStrings: ['DATE'] as unknown as boolean
    },
    pool: { min: 0, max: 2, idleTimeoutMillis: 10_000 },
    acquireConnectionTimeout: 8000,
    log
  })
}

/** A query with the server-side timeout where the database can cancel one (MySQL; SQLite is a local file). */
export function withTimeout<T extends Knex.QueryBuilder> (knex: Knex, query: T): T {
  return knex.client.config.client === 'mysql2' ? query.timeout(QUERY_TIMEOUT_MS, { cancel: true }) as T : query
}
