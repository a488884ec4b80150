import fp from 'fastify-plugin'
import type { Knex } from 'knex'
import { createKnex, describeInventory, inventoryKind, readInventoryRows } from '../inventory/database.js'
import { InventoryService } from '../inventory/inventory-service.js'
import { ensureSqliteInventory } from '../inventory/sqlite-seed.js'
import { splitShard } from '../inventory/shard.js'
import type { Device } from '../inventory/filter-inventory.js'

declare module 'fastify' {
  interface FastifyInstance {
    inventory: InventoryService
    /** listeners for inventory changes (the monitor's status cache subscribes) */
    onInventoryChange: Array<(devices: Device[]) => void>
  }
}

export default fp(async (app) => {
  const config = app.config
  let knex: Knex | null = null
  let prepared = false
  const listeners: Array<(devices: Device[]) => void> = []
  const service = new InventoryService({
    source: describeInventory(config),
    reloadMs: config.DEVICE_CHECK_INTERVAL * 1000,
    firstLoadRetryMs: 5000,
    log: app.log,
    secrets: [config.DB_PASSWORD],
    onChange: (devices) => { for (const l of listeners) l(devices) },
    load: async () => {
      knex ??= createKnex(config, (m) => app.log.debug({ knex: String(m).split('\n')[0] }, 'knex'))
      if (!prepared && inventoryKind(config) === 'sqlite') {
        const r = await ensureSqliteInventory(knex)
        if (r.seeded > 0) app.log.info({ file: config.SQLITE_FILE, devices: r.seeded }, 'created the embedded inventory with demo devices')
      }
      prepared = true
      // other shards' rows are not this instance's business: not monitored, not reported as skipped
      const split = splitShard(await readInventoryRows(knex), app.shard)
      app.shard.otherShardRows = split.otherShard
      return split.rows
    }
  })
  app.decorate('inventory', service)
  app.decorate('onInventoryChange', listeners)
  app.addHook('onClose', async () => {
    await service.stop()
    await knex?.destroy()
  })
}, { name: 'inventory', dependencies: ['config', 'shard'] })
