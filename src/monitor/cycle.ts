import type { Device } from '../inventory/filter-inventory.js'
import type { PingTarget } from '../ping/ping-engine.js'
import type { PingTaskResult, TargetOutcome } from '../ping/types.js'
import type { CycleColumns, ResultDevice } from '../storage/result-columns.js'
import { roundMs, rowAt, type ResultRow } from '../storage/result-row.js'

/**
 * Pings the targets: their outcomes by target, or (the ping engine's pingColumns) as one table of
 * columns in the targets' order, read by index without an object or a Map entry per target.
 */
export type PingMany = (targets: PingTarget[]) => Promise<Map<string, TargetOutcome> | PingTaskResult>

export interface CycleResult extends CycleColumns {
  up: number
  down: number
  targets: number
  /**
   * The cycle as row objects, made on the first call and kept (the same array after it): for the
   * cold consumers only (cluster hand-over and the results stream); the hot stages read the columns.
   */
  rowsOnce: () => ReadonlyArray<{ row: ResultRow, at: number }>
}

/** Hostnames are case-insensitive; literals are kept as typed. */
export function targetKey (device: Device): string {
  return device.family === 0 ? device.ip_address.toLowerCase() : device.ip_address
}

/**
 * One cycle: each distinct address is pinged once, and every device gets exactly one result. A
 * failure of the pinging machinery itself becomes a failed result with the reason, never a missing one.
 */
export async function runCycle (devices: Device[], pingMany: PingMany, now: () => number = Date.now): Promise<CycleResult> {
  const plan = planOf(devices)
  let outcomes: Map<string, TargetOutcome> | PingTaskResult
  let failure = ''
  try {
    // a copy: the plan is kept for the next cycle, whatever the pinger does with its argument
    outcomes = await pingMany(plan.targets.slice())
  } catch (err: any) {
    outcomes = new Map()
    failure = `Ping worker failed: ${String(err?.message ?? err).slice(0, 200)}`
  }
  const missing = failure || 'No result from ping worker'
  // an injected Map (tests) becomes the same columns first: one path from here on
  const columns = outcomes instanceof Map ? columnsOfMap(plan.targets, outcomes) : outcomes
  return cycleOfColumns(devices, plan, columns, missing, now)
}

/** Outcomes by target as columns in the targets' order; a target without one gets at = NaN (no result). */
function columnsOfMap (targets: PingTarget[], outcomes: Map<string, TargetOutcome>): PingTaskResult {
  const n = targets.length
  const r: PingTaskResult = { success: new Uint8Array(n), rtt: new Float64Array(n), at: new Float64Array(n), error: new Uint32Array(n), errors: [''] }
  const index = new Map<string, number>([['', 0]])
  for (let k = 0; k < n; k++) {
    const o = outcomes.get(targets[k].target)
    if (o === undefined) {
      r.at[k] = NaN
      r.rtt[k] = NaN
      continue
    }
    r.success[k] = o.success ? 1 : 0
    r.rtt[k] = o.response_time_ms ?? NaN
    r.at[k] = o.at
    let e = index.get(o.error_message)
    if (e === undefined) {
      e = r.errors.length
      r.errors.push(o.error_message)
      index.set(o.error_message, e)
    }
    r.error[k] = e
  }
  return r
}

/**
 * The ping columns (by target) as the cycle's columns (by device): a device shares its target's
 * outcome; one without an outcome fails with `missing`, at the time it was found missing.
 */
function cycleOfColumns (devices: Device[], plan: Plan, c: PingTaskResult, missing: string, now: () => number): CycleResult {
  const n = devices.length
  const at = new Float64Array(n)
  const rtt = new Float64Array(n)
  const ok = new Uint8Array(n)
  const error = new Uint32Array(n)
  const errors = c.errors.slice()
  let missingIndex = -1
  let up = 0
  const index = plan.targetIndex
  for (let i = 0; i < n; i++) {
    const k = index[i]
    const known = k < c.at.length && !Number.isNaN(c.at[k])
    if (!known) {
      at[i] = now()
      rtt[i] = NaN
      if (missingIndex === -1) {
        missingIndex = errors.length
        errors.push(missing)
      }
      error[i] = missingIndex
      continue
    }
    at[i] = c.at[k]
    if (c.success[k] === 1) {
      up++
      ok[i] = 1
      const r = c.rtt[k]
      rtt[i] = Number.isNaN(r) ? NaN : roundMs(r)
    } else {
      rtt[i] = NaN
      error[i] = c.error[k]
    }
  }
  return withRows({ n, at, rtt, ok, error, errors, devices, up, down: n - up, targets: plan.targets.length })
}

/** Adds the memoised rowsOnce() to a cycle's columns. */
export function withRows (c: Omit<CycleResult, 'rowsOnce'>): CycleResult {
  let rows: Array<{ row: ResultRow, at: number }> | null = null
  return Object.assign(c, { rowsOnce: () => (rows ??= rowsOf(c)) })
}

/** The columns as rows, the fields as the CSV files and the API give them. */
export function rowsOf (c: CycleColumns): Array<{ row: ResultRow, at: number }> {
  const rows = new Array<{ row: ResultRow, at: number }>(c.n)
  for (let i = 0; i < c.n; i++) rows[i] = { at: c.at[i], row: rowAt(c, i) }
  return rows
}

/** What a device list is pinged as: each device's target key, and the distinct targets in first-seen order. */
interface Plan {
  /** the devices, addresses and families the plan was made from (checked each cycle) */
  devices: Device[]
  ips: string[]
  families: Array<4 | 6 | 0>
  keys: string[]
  /** each device's index in `targets` */
  targetIndex: Int32Array
  targets: PingTarget[]
}

// The monitor pings the same device list (the same array) every cycle until the inventory changes:
// its keys and distinct targets are worked out once for it, not per cycle (a Map of 10,000 targets
// and 10,000 objects each cycle). The check below is one pass of identity comparisons, so a list
// changed in place, or a device whose address changed, gets a new plan.
const plans = new WeakMap<Device[], Plan>()

function planOf (devices: Device[]): Plan {
  const cached = plans.get(devices)
  if (cached !== undefined && samePlan(cached, devices)) return cached
  const plan: Plan = { devices: devices.slice(), ips: [], families: [], keys: [], targetIndex: new Int32Array(devices.length), targets: [] }
  const seen = new Map<string, number>()
  for (let i = 0; i < devices.length; i++) {
    const d = devices[i]
    const key = targetKey(d)
    plan.ips.push(d.ip_address)
    plan.families.push(d.family)
    plan.keys.push(key)
    let k = seen.get(key)
    if (k === undefined) {
      k = plan.targets.length
      seen.set(key, k)
      plan.targets.push({ target: key, family: d.family })
    }
    plan.targetIndex[i] = k
  }
  plans.set(devices, plan)
  return plan
}

function samePlan (p: Plan, devices: Device[]): boolean {
  if (p.devices.length !== devices.length) return false
  for (let i = 0; i < devices.length; i++) {
    const d = devices[i]
    if (d !== p.devices[i] || d.ip_address !== p.ips[i] || d.family !== p.families[i]) return false
  }
  return true
}

/**
 * A cycle made from rows (tests and benches that hold rows): the columns the monitor would have
 * given for them. A row's timestamp is not kept: the columns carry its time, and the text is written
 * from it (formatLocalIso(at), as the monitor's rows always had it).
 */
export function cycleOfRows (rows: ReadonlyArray<{ row: ResultRow, at: number }>, targets = rows.length): CycleResult {
  const n = rows.length
  const c = { n, at: new Float64Array(n), rtt: new Float64Array(n), ok: new Uint8Array(n), error: new Uint32Array(n), errors: [''], devices: new Array<ResultDevice>(n), up: 0, down: 0, targets }
  const index = new Map<string, number>([['', 0]])
  for (let i = 0; i < n; i++) {
    const { row, at } = rows[i]
    c.devices[i] = { device_id: row.device_id, ip_address: row.ip_address, hostname: row.hostname }
    c.at[i] = at
    c.rtt[i] = row.response_time_ms ?? NaN
    if (row.ping_success) {
      c.ok[i] = 1
      c.up++
      continue
    }
    let e = index.get(row.error_message)
    if (e === undefined) {
      e = c.errors.length
      c.errors.push(row.error_message)
      index.set(row.error_message, e)
    }
    c.error[i] = e
  }
  c.down = n - c.up
  return withRows(c)
}
