/**
 * `npm run check:db`: connects with the current settings (environment, then .env) and prints how many
 * devices would be monitored, the locations and types found with their devices, and every skipped row
 * with its reason. Reads only; exit 1 if it cannot.
 */
import Fastify from 'fastify'
import config from '../plugins/config.js'
import { collectEnv } from '../config/load-config.js'
import { createKnex, describeInventory, inventoryKind } from '../inventory/database.js'
import { createInventoryReader } from '../inventory/inventory-reader.js'
import { describeGroups } from '../inventory/inventory-report.js'
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
    const notes: string[] = []
    const reader = createInventoryReader(knex, { settings: c, secrets: secretValues(c), log: { info: (o: { note?: string }) => { if (o.note !== undefined) notes.push(o.note) } } })
    const { rows, lookups, shape } = await reader.read()
    const split = splitShard(rows, shard)
    const r = filterInventory(split.rows, lookups)
    console.log(`Connected. ${rows.length} rows in inventaris.`)
    console.log(`Columns read from inventaris: ${shape.columns.map((col) => col.column).join(', ')}`)
    for (const n of notes) console.log(`Note: ${n}`)
    if (shard.count > 1) console.log(`Shard ${shardLabel(shard)} (devices whose id mod ${shard.count} is ${shard.index}): ${split.rows.length} rows here, ${split.otherShard} rows in the other shards.`)
    for (const line of describeGroups(r, lookups, shape)) console.log(line)
    console.log(`Devices that would be monitored: ${r.devices.length}`)
    console.log(`Rows left out because kondisi is 'hilang': ${r.lost}`)
    console.log(`Rows left out because their type is not pinged (jenis_barangs.ping = 0): ${r.notPinged}${r.notPingedTypes.length > 0 ? ' (' + r.notPingedTypes.map((t) => t.name).join(', ') + ')' : ''}`)
    const inMaintenance = r.devices.filter((d) => d.kondisi === 'maintenance')
    console.log(`Devices whose kondisi is 'maintenance': ${inMaintenance.length}${inMaintenance.length > 0 ? ' (' + inMaintenance.slice(0, 10).map((d) => `${d.hostname} until ${d.maintenance_until ?? 'kondisi changes'}`).join(', ') + (inMaintenance.length > 10 ? ', ...' : '') + ')' : ''}`)
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
