import type { StateSettings } from '../state/device-state.js'
import type { MaintenanceWindow } from '../maintenance/maintenance-rule.js'
import { HOUR_MS, type Cause, type DeviceRefs, type Outage, type Rollup } from './accounting.js'
import { RTT_BINS } from './rtt-bins.js'

/** What the rebuild's worker thread (workers/availability-rebuild.ts) is given. */
export interface RebuildTask {
  files: string[]
  fromMs: number
  /** inclusive */
  toMs: number
  settings: StateSettings
  intervalS: number
  /** outages open in the store when the service started: the rebuild goes on with them */
  open: Outage[]
  /** the stored maintenance windows (the ones the window store still has) */
  windows: MaintenanceWindow[]
  /** where each device sits now (only for the windows' location and type scopes) */
  refs: Array<[number, DeviceRefs]>
  /** rollup rows per message (one short write transaction on the main thread each) */
  chunkRows: number
  /** messages sent and not yet acknowledged, at most */
  maxInFlight: number
  /** the store's file: the worker checkpoints its WAL meanwhile (null: an in-memory store) */
  checkpointFile: string | null
}

/** An outage as the worker sends it (the main thread fills in location, type and rack). */
export interface RebuiltOutage { device_id: number, start: number, end: number | null, cause: Cause, maintenance: boolean }

export type RebuildMessage =
  /** finished rollup rows, packed (see packRollups), and the outages begun or ended meanwhile */
  | { type: 'chunk', rows: Float64Array, n: number, outages: RebuiltOutage[], parsed: number, completeBefore: number }
  /** the outages still open at the end of the CSV (the live record must go on with them) */
  | { type: 'end', rows: number, malformed: number, open: RebuiltOutage[] }
  | { type: 'error', message: string }

export interface RebuildAck { type: 'ack' }

/** hour, device_id, up_s, down_s, unreachable_s, maintenance_s, sent, answered, rtt_sum, rtt_min, rtt_max, hist */
export const ROW_STRIDE = 11 + RTT_BINS

/**
 * Rollup rows as one Float64Array: a transferable buffer is handed over without copying and read
 * without allocating per field (a structured clone of a few thousand objects, each with its own
 * Uint32Array, cost the main thread more than writing them).
 */
export function packRollups (rows: Rollup[], out: Float64Array = new Float64Array(rows.length * ROW_STRIDE)): Float64Array {
  let o = 0
  for (const r of rows) {
    out[o] = r.hour; out[o + 1] = r.device_id
    out[o + 2] = r.up_s; out[o + 3] = r.down_s; out[o + 4] = r.unreachable_s; out[o + 5] = r.maintenance_s
    out[o + 6] = r.sent; out[o + 7] = r.answered; out[o + 8] = r.rtt_sum; out[o + 9] = r.rtt_min; out[o + 10] = r.rtt_max
    for (let b = 0; b < RTT_BINS; b++) out[o + 11 + b] = r.hist[b]
    o += ROW_STRIDE
  }
  return out
}

export function unpackRollups (buf: Float64Array, n: number, refsOf: (id: number) => DeviceRefs): Rollup[] {
  const rows: Rollup[] = []
  for (let i = 0, o = 0; i < n; i++, o += ROW_STRIDE) {
    const id = buf[o + 1]
    const refs = refsOf(id)
    rows.push({
      hour: buf[o],
      device_id: id,
      location_id: refs.location_id,
      type_id: refs.type_id,
      rack: refs.rack,
      up_s: buf[o + 2],
      down_s: buf[o + 3],
      unreachable_s: buf[o + 4],
      maintenance_s: buf[o + 5],
      sent: buf[o + 6],
      answered: buf[o + 7],
      rtt_sum: buf[o + 8],
      rtt_min: buf[o + 9],
      rtt_max: buf[o + 10],
      hist: Uint32Array.from(buf.subarray(o + 11, o + 11 + RTT_BINS))
    })
  }
  return rows
}

/** Adds b's figures to a (the same device and hour). */
export function mergeRollup (a: Rollup, b: Rollup): void {
  a.up_s += b.up_s; a.down_s += b.down_s; a.unreachable_s += b.unreachable_s; a.maintenance_s += b.maintenance_s
  a.sent += b.sent; a.answered += b.answered; a.rtt_sum += b.rtt_sum
  if (b.rtt_min < a.rtt_min) a.rtt_min = b.rtt_min
  if (b.rtt_max > a.rtt_max) a.rtt_max = b.rtt_max
  for (let i = 0; i < RTT_BINS; i++) a.hist[i] += b.hist[i]
}

export const hourOf = (at: number): number => Math.floor(at / HOUR_MS) * HOUR_MS
