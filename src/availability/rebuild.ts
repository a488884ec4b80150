import type { Log } from '../lib/log.js'
import { StateTable } from '../state/state-table.js'
import type { StateSettings } from '../state/device-state.js'
import { readHistory } from '../storage/history-reader.js'
import { Accounting, HOUR_MS, type AccountingDeps } from './accounting.js'
import type { AvailabilityStore } from './availability-store.js'

export interface RebuildOptions {
  dir: string
  fromMs: number
  toMs: number
  settings: StateSettings
  intervalS: number
  refsOf: AccountingDeps['refsOf']
  store: AvailabilityStore
  log: Log
  now: () => number
}

/**
 * Rollups of [fromMs, toMs) rebuilt from the CSV files that still exist: parsed in a worker thread
 * (src/storage/history-reader.ts), folded here a batch at a time with a state table of its own (the
 * live one is busy with the present), each batch's rows written in one transaction. Requests and
 * live cycles run between batches. Outages are not rebuilt (they are recorded live only).
 */
export async function rebuildFromCsv (o: RebuildOptions): Promise<{ rows: number, rollups: number }> {
  const table = new StateTable(o.settings)
  const acc = new Accounting({ intervalS: o.intervalS, refsOf: o.refsOf, stateOf: (id) => table.get(id)?.snapshot() })
  const obs = { device_id: 0, ip_address: '', hostname: '', success: false, error: '', at: 0 }
  let rows = 0
  let rollups = 0
  const started = o.now()
  const progress = setInterval(() => o.log.info({ rows, rollups, elapsed_s: Math.round((o.now() - started) / 1000) }, 'rebuilding availability rollups from CSV'), 5000)
  try {
    // small batches: each is folded on the main thread in one go, and requests wait meanwhile
    await readHistory({ dir: o.dir, fromMs: o.fromMs, toMs: o.toMs - 1, batchSize: 8192 }, (b) => {
      for (let i = 0; i < b.n; i++) {
        obs.device_id = b.deviceId[i]
        obs.success = b.ok[i] === 1
        obs.at = b.at[i]
        table.apply(obs)
        acc.add({ device_id: obs.device_id, at: obs.at, success: obs.success, rtt_ms: Number.isNaN(b.rtt[i]) ? null : b.rtt[i] })
      }
      rows += b.n
      const out = acc.takeRollups()
      rollups += out.length
      o.store.addRollups(out, true)
      // the hours and days before this batch's last result are complete: their group rows now
      if (b.n > 0) while (o.store.regroupOne(Math.floor(b.at[b.n - 1] / HOUR_MS) * HOUR_MS));
    })
    o.store.regroupAll()
  } finally {
    clearInterval(progress)
  }
  return { rows, rollups }
}
