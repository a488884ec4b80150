/**
 * Route descriptions and example answers for the OpenAPI document (/docs). Kept apart from the
 * schemas so that the shapes stay readable; test/e2e/openapi.test.ts checks every example against
 * the schema of its answer, so they cannot drift.
 */

const AT = '2026-11-25T17:04:05.123+07:00'
const EARLIER = '2026-11-25T16:41:10.004+07:00'

const row = (device_id: number, ip_address: string, hostname: string, ok: boolean, ms: number | null) => ({
  timestamp: AT,
  device_id,
  ip_address,
  hostname,
  ping_success: ok,
  response_time_ms: ms,
  error_message: ok ? '' : 'No response (timeout)'
})

/** what every device row carries beside its address (src/schemas/device-facts.ts) */
const facts = (location: string, type: string) => ({
  location: { id: 3, name: location },
  rack: 'R2',
  type: { id: 2, name: type },
  kondisi: 'baik',
  maintenance: { active: false, source: null, until: null, overdue: false }
})
const FACTS = facts('Gedung B', 'Switch')

const cycle = { number: 1732, started_at: AT, duration_ms: 412.5, devices: 3, up: 2, down: 1 }

const serviceState = (running: boolean) => ({
  running,
  interval_s: 5,
  timeout_s: 3,
  workers: 20,
  threads: 2,
  mode: 'parallel',
  backend: 'fping',
  devices: 3,
  skipped_rows: 1,
  skipped: [{ device_id: 7, ip: '1.2.3.4;reboot', reason: 'not an IPv4/IPv6 address or hostname' }],
  cycles: 1732,
  overruns: 0,
  abandoned_cycles: 0,
  last_cycle: cycle,
  shard: { index: 0, count: 1, other_shard_rows: 0 }
})

export const docs = {
  health: {
    description: 'Whether the service is doing its job. `status` is `degraded` with a human sentence per problem in `reasons` ' +
      'when the inventory database is unreachable, CSV writing fails, results were dropped, the ping program is unusable, ' +
      'alerts cannot be delivered or the availability store fails. Always 200 while the process answers: read `status`, not the HTTP code.',
    example: {
      success: true,
      status: 'degraded',
      service: 'multi-ping-monitor',
      version: '0.1.0',
      uptime_s: 86_400,
      reasons: ['inventory database unreachable since 2026-11-25T10:02:11.000Z (connect ECONNREFUSED 127.0.0.1:3306); monitoring the last inventory loaded'],
      monitor: { running: true, cycles: 1732, overruns: 0, last_cycle_at: AT },
      inventory: { source: 'MySQL kaido_kit at 127.0.0.1:3306', healthy: false, loaded: true, devices: 3, skipped_rows: 1, last_loaded_at: EARLIER, last_error: 'connect ECONNREFUSED 127.0.0.1:3306' },
      csv: { healthy: true, directory: 'ping_results', last_error: null, pending_rows: 0, dropped_rows: 0, rows_written: 5196 },
      ping_program: { command: 'fping', backend: 'fping', usable: true, error: null },
      history: { loading: false },
      availability: { healthy: true, file: 'ping_results/availability.sqlite', failing_since: null, last_error: null, write_errors: 0, rebuilding: false, pending_rollups: 3, last_flush_ms: 12.4 },
      process: { rss_mb: 131.4, heap_used_mb: 38.2, event_loop_delay_p50_ms: 0.1, event_loop_delay_p99_ms: 2.3, event_loop_delay_max_ms: 31.9 },
      shard: { index: 0, count: 1, other_shard_rows: 0 },
      alerts: { enabled: false, format: 'json', sent: 0, failed: 0, retries: 0, dropped: 0, queue_length: 0, last_error: null, last_error_at: null, receivers: [], channels: [] },
      maintenance: { active_windows: 1, future_windows: 0, devices_in_maintenance: 3, by_kondisi: 1, by_window: 2, overdue: 0, file: 'ping_results/maintenance_windows.json', last_error: null }
    }
  },
  latest: {
    description: 'The most recent result of every monitored device, as written to the CSV files, newest first. ' +
      'Served from memory: cheap to poll.',
    example: { success: true, data: [{ ...row(1, '127.0.0.1', 'gateway', true, 0.05), ...FACTS }, { ...row(4, '10.0.0.4', 'dead-switch', false, null), ...FACTS }], count: 2 }
  },
  deviceHistory: {
    description: 'Every result of one device in the last `hours` (at most HISTORY_HOURS), newest first; `limit` keeps the newest rows only. ' +
      '404 when the device is neither monitored nor in the history of the window.',
    example: { success: true, device_id: 1, hours: 1, ...FACTS, data: [row(1, '127.0.0.1', 'gateway', true, 0.05)], count: 1 }
  },
  statistics: {
    description: 'Counts, success rate, response times (average, min, max, p50, p95), jitter and packet loss over the last `hours`, ' +
      'for one device (`device_id`) or all devices. A window without results gives zeros and nulls, not an error.',
    example: {
      success: true,
      device_id: 1,
      hours: 24,
      statistics: {
        total_pings: 17280,
        successful_pings: 17270,
        failed_pings: 10,
        success_rate: 99.94,
        average_response_time_ms: 0.52,
        min_response_time_ms: 0.03,
        max_response_time_ms: 12.4,
        p50_response_time_ms: 0.48,
        p95_response_time_ms: 0.91,
        jitter_ms: 0.07,
        packet_loss_percent: 0.06
      }
    }
  },
  timeline: {
    description: 'One device\'s results grouped in buckets of `bucket` seconds over the last `hours`, oldest first: ' +
      'what a chart needs. A bucket where every ping failed has `successes` 0 and null times (draw a gap); ' +
      'a bucket without pings (monitor stopped) has `pings` 0.',
    example: {
      success: true,
      device_id: 1,
      hours: 1,
      bucket: 60,
      data: [
        { start: '2026-11-25T09:03:00.000Z', pings: 12, successes: 12, avg_ms: 0.51, max_ms: 0.74 },
        { start: '2026-11-25T09:04:00.000Z', pings: 12, successes: 0, avg_ms: null, max_ms: null }
      ],
      count: 2
    }
  },
  overview: {
    description: 'For every monitored device at once: packet loss over the last `minutes` and a sparkline of `points` average ' +
      'response times (null where no reply). One request per refresh for the whole dashboard table.',
    example: {
      success: true,
      minutes: 60,
      points: 4,
      data: [
        { device_id: 1, loss_percent: 0, spark: [0.5, 0.48, 0.61, 0.52] },
        { device_id: 4, loss_percent: 100, spark: [null, null, null, null] }
      ],
      count: 2
    }
  },
  status: {
    description: 'Monitored devices split by their last result: online (with its response time) or offline (with the error). ' +
      '`state` is the debounced verdict (one lost ping does not make a device down); devices without a result yet are only counted in `pending_devices`.',
    example: {
      success: true,
      data: {
        total_devices: 3,
        online_devices: 2,
        offline_devices: 1,
        pending_devices: 0,
        states: { up: 2, down: 1, unreachable: 0, flapping: 0, unknown: 0 },
        devices: {
          online: [{ device_id: 1, ip_address: '127.0.0.1', hostname: 'gateway', last_seen: AT, response_time_ms: 0.05, state: 'up', consecutive_failures: 0, down_since: null, ...FACTS }],
          offline: [{ device_id: 4, ip_address: '10.0.0.4', hostname: 'dead-switch', last_seen: EARLIER, error_message: 'No response (timeout)', state: 'down', consecutive_failures: 276, down_since: EARLIER, ...FACTS }]
        }
      }
    }
  },
  serviceStatus: {
    description: 'Whether the monitor runs, its settings, counters and the last cycle (when it started, how long it took, how many devices were up).',
    example: { success: true, data: serviceState(true) }
  },
  serviceStart: {
    description: 'Starts the ping cycles; does nothing if they run. Needs `Authorization: Bearer <API_KEY>` when API_KEY is set, ' +
      'else answers loopback clients only (403 otherwise).',
    example: { success: true, data: serviceState(true) }
  },
  serviceStop: {
    description: 'Stops the ping cycles after the one in flight; nothing is pinged or written until started again. The API keeps answering. ' +
      'Needs `Authorization: Bearer <API_KEY>` when API_KEY is set, else answers loopback clients only (403 otherwise).',
    example: { success: true, data: serviceState(false) }
  },
  events: {
    description: 'Every change of a device\'s state (unknown, up, down, flapping, unreachable) in the last `hours`, newest first, for all devices ' +
      'or one (`device_id`); `limit` keeps the newest. A device is down after DOWN_AFTER_FAILURES failed pings in a row and up ' +
      'again after UP_AFTER_SUCCESSES replies; flapping after FLAP_CHANGES up/down changes within FLAP_WINDOW results. ' +
      'Locations going down and back up are entries with `kind: site` (`location_id` or `kind` narrow the list). ' +
      'Read from CSV_OUTPUT_DIR/state_events_YYYYMMDD.csv and site_events_YYYYMMDD.csv, so changes from before a restart are included.',
    example: {
      success: true,
      hours: 24,
      device_id: null,
      data: [
        { kind: 'device', at: '2026-11-25T17:09:12.301+07:00', device_id: 4, ip_address: '10.0.0.4', hostname: 'core-switch', from: 'down', to: 'up', reason: '2 replies in a row', ...FACTS, total: null, down: null },
        { kind: 'device', at: '2026-11-25T17:04:05.123+07:00', device_id: 4, ip_address: '10.0.0.4', hostname: 'core-switch', from: 'up', to: 'down', reason: '3 failed pings in a row; last error: No response (timeout)', ...FACTS, total: null, down: null },
        { kind: 'site', at: '2026-11-25T16:50:00.000+07:00', device_id: null, ip_address: '', hostname: 'Gedung C', from: 'up', to: 'down', reason: 'Gedung C down: 18 of 20 devices', ...facts('Gedung C', 'Tanpa jenis'), rack: null, total: 20, down: 18 }
      ],
      count: 3
    }
  },
  alertTest: {
    description: 'Sends a test message to one alert channel now (one attempt, past its filters and batch window) and answers ' +
      'with what the provider said; counted in /api/health like any alert. ALERT_WEBHOOK_URLS\' receivers are named ' +
      'webhook-1, webhook-2, ... A channel that did not take the message answers 502 with the reason. Same access rule as start and stop.',
    example: { success: true, channel: 'noc-telegram', type: 'telegram', answer: 'HTTP 200: {"ok":true,"result":{"message_id":42}}' }
  },
  testPing: {
    description: 'Pings one IPv4 or IPv6 address literal (not a name) once, now, and answers the result; nothing is written. ' +
      'Rate-limited per client (TEST_PING_RATE_LIMIT per minute); same access rule as start and stop.',
    example: { success: true, ip_address: '10.0.0.4', ping_result: { success: false, response_time_ms: null, error_message: 'No response (timeout)' } }
  }
} as const

/** The options for a documented answer: its description and one example. */
export const answer = (doc: { example: unknown }, description = 'Success') => ({ description, examples: [doc.example] })
