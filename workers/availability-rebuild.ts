import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'
import { Accounting, type Outage, type Rollup } from '../src/availability/accounting.js'
import { hourOf, mergeRollup, packRollups, ROW_STRIDE, type RebuildAck, type RebuildMessage, type RebuildTask, type RebuiltOutage } from '../src/availability/rebuild-protocol.js'
import { compileWindow, isWindowActive } from '../src/maintenance/maintenance-rule.js'
import type { Device } from '../src/inventory/filter-inventory.js'
import { StateTable } from '../src/state/state-table.js'
import type { Observation } from '../src/state/device-state.js'
import { ResultColumnsParser, type ResultBatch } from '../src/storage/result-columns.js'
import { feedResultFiles } from '../src/storage/result-files-feed.js'

/**
 * Worker thread of the availability rebuild from CSV (src/availability/rebuild.ts): reads the result
 * files, runs a state table and an accounting of its own over every row (the whole fold, off the main
 * thread), and posts finished rollup rows and the outages begun or ended, `chunkRows` rows a message,
 * at most `maxInFlight` unacknowledged (the main thread writes each in one short transaction; the
 * worker waits for it rather than piling rows up in memory). A plain worker_thread, not a Piscina
 * task: it is one long stream with back-pressure both ways, as workers/history-reader.ts.
 */
const task = workerData as RebuildTask
const port = parentPort
if (port === null) throw new Error('availability-rebuild must run in a worker thread')

const table = new StateTable(task.settings)
// the time of the row being folded: the stored windows are looked up at it, not at "now"
let at = 0
const windows = task.windows.map(compileWindow)
const refs = new Map(task.refs)
const deviceLike = new Map<number, Device>()
const inWindow = (id: number): boolean => {
  let d = deviceLike.get(id)
  if (d === undefined) {
    const r = refs.get(id)
    // the windows' scopes read only the id, the location and the type
    d = { device_id: id, location: { id: r?.location_id ?? null }, type: { id: r?.type_id ?? null } } as unknown as Device
    deviceLike.set(id, d)
  }
  for (const w of windows) if (isWindowActive(w.window, at) && w.covers(d)) return true
  return false
}
const acc = new Accounting({
  intervalS: task.intervalS,
  // the machine itself is a StateView (state, down_since read in place): a snapshot per row was the
  // fold's largest cost after parsing (node --cpu-prof)
  stateOf: (id) => table.get(id),
  ...(windows.length > 0 ? { maintenanceOf: inWindow } : {}),
  // from the CSV alone a device's own failure, its site's and its uplink's look the same
  causeOf: () => 'down',
  // the main thread fills in location, type and rack as it writes (as the live record does)
  refsOf: () => ({ location_id: null, type_id: null, rack: null })
})
acc.resume(task.open)

let inFlight = 0
let wake: (() => void) | null = null
port.on('message', (m: RebuildAck) => {
  if (m.type === 'ack') {
    inFlight--
    wake?.()
    wake = null
  }
})
async function inFlightBelow (most: number): Promise<void> {
  // eslint-disable-next-line no-unmodified-loop-condition -- inFlight is lowered by the ack handler
  while (inFlight >= most) await new Promise<void>((resolve) => { wake = resolve })
}

const plain = (o: Outage): RebuiltOutage => ({ device_id: o.device_id, start: o.start, end: o.end, cause: o.cause, maintenance: o.maintenance })

/** rows taken from the accounting whose hour may still get results: kept here, merged, sent when complete */
const held = new Map<number, Map<number, Rollup>>()
let parsed = 0
let newestAt = -Infinity

function hold (): void {
  for (const r of acc.takeRollups()) {
    let m = held.get(r.hour)
    if (m === undefined) { m = new Map(); held.set(r.hour, m) }
    const a = m.get(r.device_id)
    if (a === undefined) m.set(r.device_id, r)
    else mergeRollup(a, r)
  }
}

/**
 * Sends the held rows of the hours before `before` (all with Infinity), with the outage changes.
 * A row of an hour already sent can still come (a device's results waiting for a verdict are counted
 * when it comes): it is sent too, the store adds it up.
 */
async function send (before: number): Promise<void> {
  hold()
  const rows: Rollup[] = []
  for (const [hour, m] of held) {
    if (hour >= before) continue
    for (const r of m.values()) rows.push(r)
    held.delete(hour)
  }
  let outages = acc.takeOutageChanges().map(plain)
  for (let i = 0; i < rows.length || outages.length > 0; i += task.chunkRows) {
    const part = rows.slice(i, i + task.chunkRows)
    await inFlightBelow(task.maxInFlight)
    inFlight++
    const buf = packRollups(part, new Float64Array(part.length * ROW_STRIDE))
    const msg: RebuildMessage = { type: 'chunk', rows: buf, n: part.length, outages, parsed, completeBefore: before }
    outages = []
    port!.postMessage(msg, [buf.buffer as ArrayBuffer])
  }
}

const obs: Observation = { device_id: 0, ip_address: '', hostname: '', success: false, error: '', at: 0 }
const res = { device_id: 0, at: 0, success: false, rtt_ms: null as number | null }
let hourSent = -Infinity

function fold (b: ResultBatch): void {
  for (let i = 0; i < b.n; i++) {
    at = b.at[i]
    obs.device_id = res.device_id = b.deviceId[i]
    obs.success = res.success = b.ok[i] === 1
    obs.at = res.at = at
    table.apply(obs)
    const rtt = b.rtt[i]
    res.rtt_ms = Number.isNaN(rtt) ? null : rtt
    acc.add(res)
  }
  if (b.n > 0 && b.at[b.n - 1] > newestAt) newestAt = b.at[b.n - 1]
  parsed += b.n
}

const parser = new ResultColumnsParser({
  fromMs: task.fromMs,
  toMs: task.toMs,
  batchSize: 16_384,
  emit: (b) => {
    fold(b)
    parser.recycle(b)
  }
})

/*
 * The WAL's checkpoints, here and not in the main thread's commits (which then stall for the fsync:
 * 150 ms to 1.5 s measured on this machine under load): rebuild.ts turns the store's autocheckpoint
 * off meanwhile. PASSIVE waits for no reader and no writer, so the main thread never waits for it.
 */
const checkpointer = task.checkpointFile === null ? null : new Database(task.checkpointFile)
let checkpointAt = Date.now()
function checkpoint (): void {
  if (checkpointer === null || Date.now() - checkpointAt < 2000) return
  checkpointAt = Date.now()
  checkpointer.pragma('wal_checkpoint(PASSIVE)')
}

async function between (): Promise<void> {
  checkpoint()
  // an hour is complete once every device's results of it are in: the files are in time order
  const hour = hourOf(newestAt)
  if (hour > hourSent) {
    hourSent = hour
    await send(hour)
  }
}

async function main (): Promise<void> {
  await feedResultFiles(task.files, parser, between)
  await send(Infinity)
  await inFlightBelow(1)
  checkpointer?.close()
  const open: RebuiltOutage[] = []
  for (const id of new Set([...task.open.map((o) => o.device_id), ...table.snapshots().map((s) => s.device_id)])) {
    const o = acc.openOutage(id)
    if (o !== null) open.push(plain(o))
  }
  const msg: RebuildMessage = { type: 'end', rows: parser.rows, malformed: parser.malformed, open }
  port!.postMessage(msg)
}

main().catch((err) => {
  const msg: RebuildMessage = { type: 'error', message: String(err?.message ?? err) }
  port!.postMessage(msg)
})
