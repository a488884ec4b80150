import { DeviceStateMachine, type AdoptedState, type DeviceStateSnapshot, type Observation, type StateEvent, type StateSettings } from './device-state.js'

/** The state machines of the monitored devices, by device id. */
export class StateTable {
  private readonly machines = new Map<number, DeviceStateMachine>()

  constructor (private readonly settings: StateSettings) {}

  /** Applies one result; returns the state change it caused, if any. */
  apply (o: Observation): StateEvent | null {
    let m = this.machines.get(o.device_id)
    if (m === undefined) {
      m = new DeviceStateMachine(o.device_id, this.settings, o.ip_address, o.hostname)
      this.machines.set(o.device_id, m)
    }
    return m.observe(o)
  }

  /** Takes over another instance's verdict for a device (see DeviceStateMachine.adopt). */
  adopt (deviceId: number, ip: string, hostname: string, k: AdoptedState): boolean {
    let m = this.machines.get(deviceId)
    if (m === undefined) {
      m = new DeviceStateMachine(deviceId, this.settings, ip, hostname)
      if (!m.adopt(k)) return false
      this.machines.set(deviceId, m)
      return true
    }
    return m.adopt(k)
  }

  get (deviceId: number): DeviceStateMachine | undefined {
    return this.machines.get(deviceId)
  }

  /** Drops every device not in `ids` (removed from the inventory); returns how many left. */
  retain (ids: Set<number>): number {
    let removed = 0
    for (const id of this.machines.keys()) {
      if (!ids.has(id)) {
        this.machines.delete(id)
        removed++
      }
    }
    return removed
  }

  get size (): number {
    return this.machines.size
  }

  snapshots (): DeviceStateSnapshot[] {
    return [...this.machines.values()].map((m) => m.snapshot())
  }
}
