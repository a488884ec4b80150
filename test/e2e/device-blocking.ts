import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import knexFactory, { type Knex } from 'knex'
import { ensureSqliteInventory } from '../../src/inventory/sqlite-seed.js'
import { tempDir, waitFor, type BuiltApp, type TestContext } from '../helper.js'

// What the whole-service state tests share (sites, site channels, device state, maintenance): devices
// that stop and start answering through the test's own nft table, the states the service shows, and
// an embedded inventory holding exactly the test's rows. Each test keeps its own address range.

const nft = (script: string) => execFileSync('nft', ['-f', '-'], { input: script, stdio: ['pipe', 'ignore', 'pipe'] })

export interface Blocker {
  /** Exactly these addresses stop answering echo requests, in one nft transaction. */
  block: (ips: string[]) => void
}

/** A table of this test's own (`name` and the pid), deleted in the teardown; nothing blocked at first. */
export function nftBlocker (t: TestContext, name: string): Blocker {
  const table = `${name}_${process.pid}`
  nft(`table inet ${table} {\n  chain output {\n    type filter hook output priority 0; policy accept;\n  }\n}\n`)
  t.teardown(() => nft(`delete table inet ${table}`))
  const block = (ips: string[]) => nft(`flush chain inet ${table} output\n${ips.length === 0 ? '' : `add rule inet ${table} output ip daddr { ${ips.join(', ')} } icmp type echo-request drop\n`}`)
  return { block }
}

/** Stopped between cycles, so that all the addresses change from the same cycle on. */
export async function blockBetweenCycles (b: BuiltApp, blocker: Blocker, ips: string[]): Promise<void> {
  await b.app.monitor.stop()
  blocker.block(ips)
  b.app.monitor.start()
}

/** GET over the service's real listener: status code, parsed body and the raw text. */
export async function http (b: BuiltApp, path: string): Promise<{ status: number, body: any, text: string }> {
  const address = b.app.server.address() as { port: number }
  const res = await fetch(`http://127.0.0.1:${address.port}${path}`)
  const text = await res.text()
  return { status: res.status, body: JSON.parse(text), text }
}

/** device id → its row of /api/ping/status (with `online`), over the real listener if the app listens. */
export async function shownStates (b: BuiltApp): Promise<Record<number, any>> {
  const r = b.app.server.address() === null ? { body: (await b.app.inject('/api/ping/status')).json() } : await http(b, '/api/ping/status')
  const out: Record<number, any> = {}
  for (const d of r.body.data.devices.online) out[d.device_id] = { ...d, online: true }
  for (const d of r.body.data.devices.offline) out[d.device_id] = { ...d, online: false }
  return out
}

/** Waits until every listed device shows the wanted state; answers the last /status rows. */
export async function waitForStates (b: BuiltApp, want: Record<number, string>, what: string, ms = 20_000): Promise<Record<number, any>> {
  return await waitFor(async () => {
    const s = await shownStates(b)
    return Object.entries(want).every(([id, st]) => s[Number(id)]?.state === st) ? s : null
  }, ms, what)
}

/** { id: state } for every id */
export const all = (ids: number[], state: string): Record<number, string> => Object.fromEntries(ids.map((id) => [id, state]))

/**
 * An embedded SQLite inventory holding exactly `rows` (type 1, location 1 unless given): its file, and
 * a connection for the test to change the rows later (closed in the teardown).
 */
export async function sqliteInventory (t: TestContext, rows: Array<Record<string, unknown>>): Promise<{ file: string, knex: Knex }> {
  const file = join(tempDir(t, 'mpm-db-'), 'inventaris.sqlite')
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true, pool: { min: 0, max: 1 } })
  t.teardown(() => knex.destroy())
  await ensureSqliteInventory(knex)
  await knex('inventaris').delete()
  await knex('inventaris').insert(rows.map((r) => ({ jenis_barang_id: 1, id_lokasi: 1, ...r })))
  return { file, knex }
}
