import type { Device } from '../inventory/filter-inventory.js'
import { formatLocalIso } from '../lib/local-time.js'
import type { PingTarget } from '../ping/ping-engine.js'
import type { PingTaskResult, TargetOutcome } from '../ping/types.js'
import { roundMs, type ResultRow } from '../storage/result-row.js'

/**
 * Pings the targets: their outcomes by target, or (the ping engine's pingColumns) as one table of
 * columns in the targets' order, read by index without an object or a Map entry per target.
 */
export type PingMany = (targets: PingTarget[]) => Promise<Map<string, TargetOutcome> | PingTaskResult>

export interface CycleResult {
  rows: Array<{ row: ResultRow, at: number }>
  up: number
  down: number
  targets: number
}

/** Hostnames are case-insensitive; literals are kept as typed. */
export function targetKey (device: Device): string {
  return device.family === 0 ? device.ip_address.toLowerCase() : device.ip_address
}

/**
 * One cycle: each distinct address is pinged once, and every device gets exactly one row. A failure
 * of the pinging machinery itself becomes a failed row with the reason, never a missing one.
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
  return outcomes instanceof Map ? rowsFromMap(devices, plan, outcomes, missing, now) : rowsFromColumns(devices, plan, outcomes, missing, now)
}

function rowsFromMap (devices: Device[], plan: Plan, outcomes: Map<string, TargetOutcome>, missing: string, now: () => number): CycleResult {
  const rows: CycleResult['rows'] = []
  let up = 0
  const keys = plan.keys
  for (let i = 0; i < devices.length; i++) {
    const d = devices[i]
    const o = outcomes.get(keys[i])
    const at = o?.at ?? now()
    const success = o?.success === true
    if (success) up++
    rows.push({
      at,
      row: {
        timestamp: formatLocalIso(at),
        device_id: d.device_id,
        ip_address: d.ip_address,
        hostname: d.hostname,
        ping_success: success,
        response_time_ms: success && o?.response_time_ms != null ? roundMs(o.response_time_ms) : null,
        error_message: success ? '' : (o?.error_message ?? missing)
      }
    })
  }
  return { rows, up, down: devices.length - up, targets: plan.targets.length }
}

/** The same rows as rowsFromMap, read from the columns by each device's target index. */
function rowsFromColumns (devices: Device[], plan: Plan, c: PingTaskResult, missing: string, now: () => number): CycleResult {
  const rows: CycleResult['rows'] = []
  let up = 0
  const index = plan.targetIndex
  for (let i = 0; i < devices.length; i++) {
    const d = devices[i]
    const k = index[i]
    const known = k < c.at.length && !Number.isNaN(c.at[k])
    const at = known ? c.at[k] : now()
    const success = known && c.success[k] === 1
    if (success) up++
    const rtt = success ? c.rtt[k] : NaN
    rows.push({
      at,
      row: {
        timestamp: formatLocalIso(at),
        device_id: d.device_id,
        ip_address: d.ip_address,
        hostname: d.hostname,
        ping_success: success,
        response_time_ms: Number.isNaN(rtt) ? null : roundMs(rtt),
        error_message: success ? '' : known ? c.errors[c.error[k]] : missing
      }
    })
  }
  return { rows, up, down: devices.length - up, targets: plan.targets.length }
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
