import { Accounting, type AccountingDeps, type DeviceRefs } from '../../src/availability/accounting.js'
import { StateTable } from '../../src/state/state-table.js'
import type { StateSettings } from '../../src/state/device-state.js'

export const SETTINGS: StateSettings = { downAfterFailures: 3, upAfterSuccesses: 2, flapChanges: 0, flapWindow: 20 }
export const INTERVAL_S = 5
/** 2026-11-30T00:00:00Z: an hour boundary */
export const T0 = Date.UTC(2026, 10, 30, 0, 0, 0)

/** A real state table beside an accounting, as the service has them (the tracker first, then the accounting). */
export class Sim {
  readonly table = new StateTable(SETTINGS)
  readonly acc: Accounting
  constructor (refs: (id: number) => DeviceRefs = () => ({ location_id: null, type_id: null, rack: null }), extra: Partial<AccountingDeps> = {}) {
    this.acc = new Accounting({ intervalS: INTERVAL_S, refsOf: refs, stateOf: (id) => this.table.get(id)?.snapshot(), ...extra })
  }

  result (id: number, at: number, success: boolean, rtt = 1): void {
    this.table.apply({ device_id: id, ip_address: '127.0.0.1', hostname: 'h', success, error: success ? '' : 'timeout', at })
    this.acc.add({ device_id: id, at, success, rtt_ms: success ? rtt : null })
  }

  /** one result every INTERVAL_S in [from, to), `ok(at)` deciding each */
  run (id: number, from: number, to: number, ok: (at: number) => boolean, rtt = 1): void {
    for (let at = from; at < to; at += INTERVAL_S * 1000) this.result(id, at, ok(at), rtt)
  }
}
