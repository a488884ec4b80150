import type { IncidentKey } from '../channel-message.js'
import { json, sendHttpParallel, truncate, under, type Provider } from './provider.js'

// Events API v2: https://developer.pagerduty.com/docs/events-api-v2/trigger-events/ and
// .../resolve-events/ : POST {api}/v2/enqueue. One dedup key per device (mpm-device-<id>) or
// location (mpm-location-<id>), so that "up" resolves the incident its "down" opened. PagerDuty groups
// by key itself, so a batch window is sent as one event per key (not merged into one text), a few at
// once; a key that changed twice within the window is sent once, with its last action. PagerDuty
// accepts about 120 events a minute per routing key and answers 429 beyond (retried like any 429).
export interface PagerdutySettings { api: URL, routingKey: string }

export const pagerduty: Provider<PagerdutySettings> = {
  parse: (r) => ({ api: r.url('api_url', 'https://events.pagerduty.com'), routingKey: r.secret('routing_key', true) }),
  target: (c) => c.api.host,
  send: async (m, c, ctx) => await sendHttpParallel(lastPerKey(m.keys).slice(0, 100).map((k) => ({
    url: under(c.api, '/v2/enqueue'),
    ...json(k.action === 'resolve'
      ? { routing_key: c.routingKey, event_action: 'resolve', dedup_key: k.key }
      : { routing_key: c.routingKey, event_action: 'trigger', dedup_key: k.key, payload: { summary: truncate(k.summary, 1024), source: k.source, severity: k.severity } })
  })), ctx, 8)
}

function lastPerKey (keys: IncidentKey[]): IncidentKey[] {
  const by = new Map<string, IncidentKey>()
  for (const k of keys) {
    by.delete(k.key)
    by.set(k.key, k)
  }
  return [...by.values()]
}
