import type { Knex } from 'knex'
import type { Config } from '../config/env-schema.js'
import { secretValues } from '../config/secrets.js'
import type { Log } from '../lib/log.js'
import { createKnex, describeInventory, inventoryKind } from './database.js'
import type { Device } from './filter-inventory.js'
import { createInventoryReader, type InventoryReader } from './inventory-reader.js'
import { InventoryService } from './inventory-service.js'
import { splitShard, type Shard } from './shard.js'
import { ensureSqliteInventory } from './sqlite-seed.js'

export interface InventorySourceOptions {
  config: Config
  shard: Shard
  /** inventory rows of the other shards in the last inventory loaded */
  onOtherShardRows: (n: number) => void
  onChange: (devices: Device[]) => void
  log: Log
}

/**
 * The inventory service over the configured database (MySQL/MariaDB, or the embedded SQLite file,
 * created with demo devices on first use). The connection opens on the first load.
 */
export function createInventory (opts: InventorySourceOptions): { inventory: InventoryService, close: () => Promise<void> } {
  const { config, log } = opts
  let knex: Knex | null = null
  let reader: InventoryReader | null = null
  let prepared = false
  const secrets = secretValues(config)
  const inventory = new InventoryService({
    source: describeInventory(config),
    reloadMs: config.DEVICE_CHECK_INTERVAL * 1000,
    firstLoadRetryMs: 5000,
    log,
    // every secret setting, not only the password: none may reach a kept or logged error
    secrets,
    onChange: opts.onChange,
    load: async () => {
      knex ??= createKnex(config, (m) => log.debug?.({ knex: String(m).split('\n')[0] }, 'knex'))
      reader ??= createInventoryReader(knex, { settings: config, log, secrets })
      if (!prepared && inventoryKind(config) === 'sqlite') {
        const r = await ensureSqliteInventory(knex)
        if (r.seeded > 0) log.info({ file: config.SQLITE_FILE, devices: r.seeded }, 'created the embedded inventory with demo devices')
        if (r.lookupsSeeded > 0) log.info({ file: config.SQLITE_FILE, rows: r.lookupsSeeded }, 'added demo locations and device types to the embedded inventory')
      }
      prepared = true
      const read = await reader.read()
      // other shards' rows are not this instance's business: not monitored, not reported as skipped
      const split = splitShard(read.rows, opts.shard)
      opts.onOtherShardRows(split.otherShard)
      return { rows: split.rows, lookups: read.lookups }
    }
  })
  return {
    inventory,
    close: async () => {
      await inventory.stop()
      await knex?.destroy()
    }
  }
}
