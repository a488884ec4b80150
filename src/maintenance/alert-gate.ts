import type { DeviceStateSnapshot, StateEvent } from '../state/device-state.js'

/**
 * Which state changes reach the alert receivers, given who is in maintenance, and what the receivers
 * were last told about each device (only "down" matters: the end of a maintenance sends a down alert
 * for a device that is down then, unless the receivers already heard it was down).
 *
 * - A change of a device in maintenance is not alerted (it is still recorded elsewhere: events, CSV).
 * - A recovery during maintenance is not alerted either; what the receivers last heard stays "down",
 *   so a device alerted down before its window and still (or again) down when it ends is not alerted twice.
 * - When maintenance ends, a device that is down then and was not alerted down gets one down alert.
 */
export class AlertGate {
  /** devices whose last alerted change was to down */
  private readonly alertedDown = new Set<number>()

  /**
   * The events that may go to the receivers; remembers what they were told, including the changes a
   * site message told them (`covered`: not sent one by one, but a device of a down site that then goes
   * into maintenance and is still down when it ends was alerted down already, by its site).
   */
  pass (events: readonly StateEvent[], inMaintenance: (deviceId: number) => boolean, covered: readonly StateEvent[] = []): StateEvent[] {
    const out: StateEvent[] = []
    for (const e of events) {
      if (inMaintenance(e.device_id)) continue
      out.push(e)
      this.told(e)
    }
    for (const e of covered) if (!inMaintenance(e.device_id)) this.told(e)
    return out
  }

  private told (e: StateEvent): void {
    if (e.to === 'down') this.alertedDown.add(e.device_id)
    else this.alertedDown.delete(e.device_id)
  }

  /**
   * The down alerts owed to devices that just left maintenance: those whose state is down now and
   * whose receivers were not told so. `at` is the time maintenance ended.
   */
  released (deviceIds: Iterable<number>, stateOf: (deviceId: number) => DeviceStateSnapshot | undefined, at: number): StateEvent[] {
    const out: StateEvent[] = []
    for (const id of deviceIds) {
      const s = stateOf(id)
      if (s === undefined || s.state !== 'down' || this.alertedDown.has(id)) continue
      this.alertedDown.add(id)
      out.push({
        device_id: id,
        ip_address: s.ip_address,
        hostname: s.hostname,
        // the receivers did not know its state: it changed while alerts were held back
        from: 'unknown',
        to: 'down',
        at,
        reason: 'still down when its maintenance ended',
        consecutive_failures: s.consecutive_failures,
        last_error: s.last_error,
        down_since: s.down_since
      })
    }
    return out
  }

  /** After a restart: devices the receivers were told were down before it. */
  seed (deviceId: number): void {
    this.alertedDown.add(deviceId)
  }

  wasAlertedDown (deviceId: number): boolean {
    return this.alertedDown.has(deviceId)
  }

  /** how many devices the receivers last heard were down */
  get size (): number {
    return this.alertedDown.size
  }

  /** Devices that left the inventory are forgotten. */
  retain (deviceIds: ReadonlySet<number>): void {
    for (const id of this.alertedDown) if (!deviceIds.has(id)) this.alertedDown.delete(id)
  }
}
