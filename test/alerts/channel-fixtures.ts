import pino from 'pino'
import { createAlerts, type Alerts } from '../../src/alerts/alerts.js'
import { parseChannelsText } from '../../src/alerts/channel-config.js'
import type { AlertLanguage } from '../../src/alerts/channel-message.js'
import type { Config } from '../../src/config/env-schema.js'
import { makeDevice, type Device } from '../../src/inventory/filter-inventory.js'
import type { StateEvent } from '../../src/state/device-state.js'
import { REDACT } from '../../src/build.js'
import { LogCapture, type TestContext } from '../helper.js'

export const AT = new Date(2026, 10, 25, 17, 4, 5, 123).getTime()

export const ev = (id: number, from: StateEvent['from'], to: StateEvent['to'], over: Partial<StateEvent> = {}): StateEvent => ({
  device_id: id,
  ip_address: `10.0.0.${id}`,
  hostname: `sw-${id}`,
  from,
  to,
  at: AT,
  reason: to === 'down' ? '3 failed pings in a row; last error: No response (timeout)' : '2 replies in a row',
  consecutive_failures: to === 'down' ? 3 : 0,
  last_error: 'No response (timeout)',
  down_since: to === 'down' ? AT - 2000 : to === 'up' ? AT - 125_000 : null,
  ...over
})

/** devices 1..99: location 3 "Gedung A" for odd ids, 7 "Gedung B" for even; type 2 "Switch"; rack R1 */
export function deviceOf (id: number): Device | undefined {
  if (id < 1 || id > 99) return undefined
  return makeDevice({ device_id: id, ip_address: `10.0.0.${id}`, hostname: `sw-${id}`, family: 4, location: id % 2 === 1 ? { id: 3, name: 'Gedung A' } : { id: 7, name: 'Gedung B' }, type: { id: 2, name: 'Switch' }, rack: 'R1' })
}

export const CONFIG = {
  ALERT_TIMEOUT: 2,
  ALERT_QUEUE_MAX: 100,
  ALERT_RETRIES: 3,
  ALERT_RETRY_DELAY: 0.02,
  ALERT_BATCH_MIN: 5,
  ALERT_WEBHOOK_FORMAT: 'json',
  ALERT_LANGUAGE: 'en'
} as unknown as Config

/** createAlerts over the channels of `yaml`, its log captured through pino with the service's redaction. */
export function alertsFrom (t: TestContext, yaml: string, env: NodeJS.ProcessEnv, over: Partial<Config> = {}): { alerts: Alerts, logs: LogCapture } {
  const config = { ...CONFIG, ...over } as Config
  const channels = parseChannelsText(yaml, env, config.ALERT_LANGUAGE as AlertLanguage)
  const logs = new LogCapture()
  const log = pino({ level: 'debug', redact: REDACT }, logs.stream) as any
  const alerts = createAlerts({ config, urls: [], channels, deviceOf, userAgent: 'multi-ping-monitor/test', log })
  t.teardown(() => alerts.close(0))
  return { alerts, logs }
}
