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

const QUERY_TIMEOUT_MS = 10_000

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
      bigNumberStrings: true
    },
    pool: { min: 0, max: 2, idleTimeoutMillis: 10_000 },
    acquireConnectionTimeout: 8000,
    log
  })
}

export const INVENTORY_COLUMNS = ['id', 'ip', 'hostname', 'kondisi'] as const

/** Reads the rows the monitor needs. Read-only: never writes to the inventory database. */
export async function readInventoryRows (knex: Knex) {
  const query = knex('inventaris').select(...INVENTORY_COLUMNS).orderBy('id')
  // only MySQL can cancel a query server-side; SQLite is a local file
  return await (knex.client.config.client === 'mysql2' ? query.timeout(QUERY_TIMEOUT_MS, { cancel: true }) : query)
}
