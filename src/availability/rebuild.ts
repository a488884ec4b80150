import { Worker } from 'node:worker_threads'
import type { Log } from '../lib/log.js'
import type { MaintenanceWindow } from '../maintenance/maintenance-rule.js'
import type { StateSettings } from '../state/device-state.js'
import { RESULTS_PREFIX, listDatedFilesCovering } from '../storage/csv-files.js'
import type { DeviceRefs, Outage } from './accounting.js'
import type { AvailabilityStore } from './availability-store.js'
import { unpackRollups, type RebuildAck, type RebuildMessage, type RebuildTask, type RebuiltOutage } from './rebuild-protocol.js'

// run the worker from source (.ts) under the test loader, from dist/ (.js) when built
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
const WORKER_FILE = new URL(`../../workers/availability-rebuild${ext}`, import.meta.url)

export interface RebuildOptions {
  dir: string
  fromMs: number
  toMs: number
  settings: StateSettings
  intervalS: number
  refsOf: (id: number) => DeviceRefs
  /** the devices known now (for the maintenance windows' location and type scopes) */
  devices?: () => number[]
  store: AvailabilityStore
  log: Log
  now: () => number
  /** the outages open in the store at start (the live record resumed them too) */
  open?: Outage[]
  /** the stored maintenance windows: rebuilt time inside one counts as maintenance */
  windows?: MaintenanceWindow[]
  /** rollup rows per write transaction */
  chunkRows?: number
  /** resolves when the main thread may write (no flush's transaction is open on the store) */
  writable?: () => Promise<void>
}

export interface RebuildResult {
  rows: number
  rollups: number
  outages: number
  malformed: number
  /** outages still open at the end of the CSV: the live record must go on with them (one outage across the restart) */
  open: Outage[]
}

const turn = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

/**
 * Rollups and outages of [fromMs, toMs) rebuilt from the CSV files that still exist. The whole fold
 * (parsing, the state table, the accounting) runs in a worker thread (workers/availability-rebuild.ts);
 * the main thread only writes what it sends: one short transaction per chunk of finished rows
 * (250 rows, ~10 ms on this machine under load), never while a flush's transaction is open, so that the store keeps one writer
 * (better-sqlite3 is synchronous: a second writing connection in the worker would make the live
 * flush wait on SQLITE_BUSY, on the main thread). Requests and live cycles run between chunks.
 */
export async function rebuildFromCsv (o: RebuildOptions): Promise<RebuildResult> {
  const files = (await listDatedFilesCovering(o.dir, RESULTS_PREFIX, o.fromMs, o.toMs - 1)).map((f) => f.path)
  const result: RebuildResult = { rows: 0, rollups: 0, outages: 0, malformed: 0, open: [] }
  // nothing to read: the outages open at the stop go on as they are
  if (files.length === 0) return { ...result, open: o.open ?? [] }
  const refs: Array<[number, DeviceRefs]> = (o.devices?.() ?? []).map((id) => [id, o.refsOf(id)])
  const task: RebuildTask = { files, fromMs: o.fromMs, toMs: o.toMs - 1, settings: o.settings, intervalS: o.intervalS, open: o.open ?? [], windows: o.windows ?? [], refs, chunkRows: o.chunkRows ?? 250, maxInFlight: 2, checkpointFile: o.store.file === ':memory:' ? null : o.store.file }
  const withRefs = (x: RebuiltOutage): Outage => ({ ...x, ...o.refsOf(x.device_id) })
  let parsed = 0
  const started = o.now()
  const progress = setInterval(() => o.log.info({ rows: parsed, rollups: result.rollups, outages: result.outages, elapsed_s: Math.round((o.now() - started) / 1000) }, 'rebuilding availability rollups from CSV'), 5000)
  // the worker checkpoints the WAL meanwhile (workers/availability-rebuild.ts): no commit here does
  const autocheckpoint = o.store.db.pragma('wal_autocheckpoint', { simple: true }) as number
  if (task.checkpointFile !== null) o.store.db.pragma('wal_autocheckpoint = 0')
  const worker = new Worker(WORKER_FILE, { workerData: task })
  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false
      // messages are written one at a time, in order: a chunk waits for the one before (and for a flush)
      let writing = Promise.resolve()
      const finish = (err: Error | null) => {
        if (settled) return
        settled = true
        if (err !== null) reject(err)
        else resolve()
      }
      const write = async (m: Extract<RebuildMessage, { type: 'chunk' }>) => {
        await o.writable?.()
        const rows = unpackRollups(m.rows, m.n, o.refsOf)
        o.store.db.transaction(() => {
          o.store.addRollups(rows, true)
          o.store.writeOutages(m.outages.map(withRefs))
        })()
        result.rollups += m.n
        result.outages += m.outages.length
        parsed = m.parsed
        const ack: RebuildAck = { type: 'ack' }
        worker.postMessage(ack)
        // the hours before the chunk's are complete: their group rows, one hour or day per turn
        // (while the worker folds on), each in its own short transaction
        for (;;) {
          await o.writable?.()
          if (!o.store.regroupOne(m.completeBefore)) break
          await turn()
        }
      }
      worker.on('message', (m: RebuildMessage) => {
        if (m.type === 'chunk') {
          writing = writing.then(async () => await write(m)).catch((err) => { finish(err) })
        } else if (m.type === 'end') {
          writing = writing.then(() => {
            result.rows = m.rows
            result.malformed = m.malformed
            result.open = m.open.map(withRefs)
            finish(null)
          })
        } else finish(new Error(m.message))
      })
      worker.on('error', (err) => finish(err))
      worker.on('exit', (code) => finish(new Error(`availability rebuild thread exited (code ${code})`)))
    })
    for (;;) {
      await o.writable?.()
      if (!o.store.regroupOne()) break
      await turn()
    }
  } finally {
    clearInterval(progress)
    await worker.terminate()
    o.store.db.pragma(`wal_autocheckpoint = ${autocheckpoint}`)
  }
  return result
}
