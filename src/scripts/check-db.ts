/**
 * `npm run check:db`: connects with the current settings (environment, then .env) and prints how many
 * devices would be monitored and every skipped row with its reason. Reads only; exit 1 if it cannot.
 */
import Fastify from 'fastify'
import config from '../plugins/config.js'
import { collectEnv } from '../config/load-config.js'
import { createKnex, describeInventory, inventoryKind, readInventoryRows } from '../inventory/database.js'
import { ensureSqliteInventory } from '../inventory/sqlite-seed.js'
import { filterInventory } from '../inventory/filter-inventory.js'
import { shardLabel, splitShard } from '../inventory/shard.js'
import { redactSecrets, secretValues } from '../config/secrets.js'

async function main (): Promise<number> {
  const app = Fastify({ logger: false })
  try {
    // every check the service makes at start (src/config/validate-config.ts)
    await app.register(config, { env: collectEnv(process.env, '.env') })
    await app.ready()
  } catch (err: any) {
    process.stderr.write(`check:db: ${String(err?.message ?? err)}\n`)
    return 1
  }
  const c = app.config
  const shard = app.settings.shard
  const knex = createKnex(c)
  console.log(`Inventory: ${describeInventory(c)}`)
  try {
    if (inventoryKind(c) === 'sqlite') await ensureSqliteInventory(knex)
    const rows = await readInventoryRows(knex)
    const split = splitShard(rows, shard)
    const r = filterInventory(split.rows)
    console.log(`Connected. ${rows.length} rows in inventaris.`)
    if (shard.count > 1) console.log(`Shard ${shardLabel(shard)} (devices whose id mod ${shard.count} is ${shard.index}): ${split.rows.length} rows here, ${split.otherShard} rows in the other shards.`)
    console.log(`Devices that would be monitored: ${r.devices.length}`)
    console.log(`Rows left out because kondisi is 'hilang': ${r.lost}`)
    console.log(`Rows skipped: ${r.skipped.length}`)
    for (const s of r.skipped) console.log(`  id ${String(s.device_id)}: ip ${JSON.stringify(s.ip.slice(0, 120))}: ${s.reason}`)
    return 0
  } catch (err: any) {
    const message = String(err?.message ?? err)
    console.error(`Cannot read the inventory: ${redactSecrets(message, secretValues(c))}`)
    return 1
  } finally {
    await knex.destroy()
    await app.close()
  }
}

process.exitCode = await main()
