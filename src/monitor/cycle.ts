import type { Device } from '../inventory/filter-inventory.js'
import { formatLocalIso } from '../lib/local-time.js'
import type { PingTarget } from '../ping/ping-engine.js'
import type { TargetOutcome } from '../ping/types.js'
import { roundMs, type ResultRow } from '../storage/result-row.js'

export type PingMany = (targets: PingTarget[]) => Promise<Map<string, TargetOutcome>>

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
  const targets = new Map<string, PingTarget>()
  for (const d of devices) {
    const key = targetKey(d)
    if (!targets.has(key)) targets.set(key, { target: key, family: d.family })
  }
  let outcomes: Map<string, TargetOutcome>
  let failure = ''
  try {
    outcomes = await pingMany([...targets.values()])
  } catch (err: any) {
    outcomes = new Map()
    failure = `Ping worker failed: ${String(err?.message ?? err).slice(0, 200)}`
  }
  const rows: CycleResult['rows'] = []
  let up = 0
  for (const d of devices) {
    const o = outcomes.get(targetKey(d))
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
        error_message: success ? '' : (o?.error_message ?? (failure || 'No result from ping worker'))
      }
    })
  }
  return { rows, up, down: devices.length - up, targets: targets.size }
}
