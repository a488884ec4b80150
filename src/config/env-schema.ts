import { Type, type Static } from 'typebox'

/** pino's levels, for LOG_LEVEL (and the process entry's logger before the settings are checked) */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
/** LOG_FORMAT's values (read by the process entry before the settings are checked, like LOG_LEVEL) */
export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const

/**
 * The one description of every setting. The Config type is derived from it, so the two cannot drift.
 * Numbers arrive as strings from the environment; env-schema's ajv coerces them.
 */
export const envSchema = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  DB_CONNECTION: Type.Union([
    Type.Literal('sqlite'),
    Type.Literal('mysql'),
    Type.Literal('mysql2'),
    Type.Literal('mysql+pymysql')
  ], { default: 'sqlite', description: 'sqlite (embedded inventory) or mysql (also mysql2, mysql+pymysql)' }),
  DB_HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  DB_PORT: Type.Integer({ default: 3306, minimum: 1, maximum: 65535 }),
  DB_DATABASE: Type.String({ default: 'kaido_kit', minLength: 1 }),
  DB_USERNAME: Type.String({ default: 'root', minLength: 1 }),
  DB_PASSWORD: Type.String({ default: '' }),
  DB_SOCKET: Type.Optional(Type.String()),
  SQLITE_FILE: Type.String({ default: 'data/inventaris.sqlite', minLength: 1 }),
  DEVICE_CHECK_INTERVAL: Type.Number({ default: 30, minimum: 1, maximum: 86400 }),
  // issue 13: names of locations and device types from the inventory's lookup tables
  LOCATION_NAME_COLUMN: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$', description: 'a column name: the name column of lokasi_barangs (unset = the first of nama_lokasi, nama, name, lokasi)' })),
  TYPE_NAME_COLUMN: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$', description: 'a column name: the name column of jenis_barangs (unset = the first of nama_jenis, nama, name, jenis)' })),
  PING_INTERVAL: Type.Number({ default: 5, minimum: 0.5, maximum: 3600 }),
  // soak and stress runs cycle faster than any fleet should: an explicit opt-in, never a default
  ALLOW_FAST_INTERVAL: Type.Boolean({ default: false, description: 'true lets PING_INTERVAL go down to 0.1 s (soak and stress runs)' }),
  PING_TIMEOUT: Type.Number({ default: 3, minimum: 0.1, maximum: 60 }),
  USE_MULTI_PING: Type.Boolean({ default: true }),
  MAX_PING_WORKERS: Type.Integer({ default: 20, minimum: 1, maximum: 10000 }),
  PING_COMMAND: Type.String({ default: 'ping', minLength: 1, description: 'ping program (name on PATH or absolute path)' }),
  CSV_OUTPUT_DIR: Type.String({ default: 'ping_results', minLength: 1 }),
  MAX_CSV_RECORDS: Type.Integer({ default: 1000, minimum: 0 }),
  CSV_RETENTION_DAYS: Type.Integer({ default: 30, minimum: 0 }),
  HISTORY_HOURS: Type.Number({ default: 24, exclusiveMinimum: 0, maximum: 8760, description: 'hours of results kept in memory for the read routes (at most CSV_RETENTION_DAYS x 24)' }),
  AVAILABILITY_FILE: Type.String({ default: '', description: 'SQLite file of the outages, hourly rollups and shift reports; empty = <CSV_OUTPUT_DIR>/availability.sqlite' }),
  AVAILABILITY_DAYS: Type.Integer({ default: 400, minimum: 1, maximum: 3660, description: 'days of rollups, outages and reports kept (independent of CSV_RETENTION_DAYS)' }),
  REPORT_TIMES: Type.String({ default: '', pattern: '^\\s*(([01]?\\d|2[0-3]):[0-5]\\d\\s*(,\\s*([01]?\\d|2[0-3]):[0-5]\\d\\s*)*)?$', description: 'comma-separated local times of day (HH:MM) of the shift reports, e.g. 08:00,16:00,00:00; empty = no reports' }),
  CSV_BUFFER_MAX_ROWS: Type.Integer({ default: 1000000, minimum: 1000 }),
  HOST: Type.String({ default: '0.0.0.0', minLength: 1 }),
  PORT: Type.Integer({ default: 5000, minimum: 0, maximum: 65535 }),
  API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  CORS_ORIGINS: Type.String({ default: '', description: 'comma-separated origins allowed to call the API from a browser; empty = CORS off' }),
  TRUST_PROXY: Type.String({ default: 'false', pattern: '^(true|false|\\d+|[0-9A-Fa-f.:/]+(,[0-9A-Fa-f.:/]+)*)$', description: 'false, true, a hop count, or comma-separated proxy addresses/CIDRs whose X-Forwarded-For is believed' }),
  CONTROL_RATE_LIMIT: Type.Integer({ default: 60, minimum: 1, description: 'control requests (start/stop) per minute per client' }),
  TEST_PING_RATE_LIMIT: Type.Integer({ default: 30, minimum: 1, description: 'test pings per minute per client' }),
  LOG_LEVEL: Type.Union(LOG_LEVELS.map((l) => Type.Literal(l)), { default: 'info' }),
  LOG_FORMAT: Type.Union(LOG_FORMATS.map((l) => Type.Literal(l)), { default: 'auto', description: 'auto: readable lines (pino-pretty) when standard output is a terminal, JSON lines otherwise; pretty; json' }),
  PING_BACKEND: Type.Union([Type.Literal('auto'), Type.Literal('fping'), Type.Literal('ping')], {
    default: 'auto',
    description: 'auto: fping when it is installed (and can ping), else ping. fping: one fping process per batch of up to ' +
      'FPING_BATCH_SIZE addresses, MAX_PING_WORKERS = most fping processes at once. ping: one ping process per address, ' +
      'MAX_PING_WORKERS = most ping processes at once.'
  }),
  FPING_COMMAND: Type.String({ default: 'fping', minLength: 1, description: 'fping program (name on PATH or absolute path)' }),
  FPING_BATCH_SIZE: Type.Integer({ default: 50000, minimum: 1, maximum: 1000000, description: 'most addresses per fping process' }),
  // device state (issue 8)
  DOWN_AFTER_FAILURES: Type.Integer({ default: 3, minimum: 1, maximum: 1000, description: 'consecutive failed pings that make a device down' }),
  UP_AFTER_SUCCESSES: Type.Integer({ default: 2, minimum: 1, maximum: 1000, description: 'consecutive replies that bring a down device back up' }),
  FLAP_CHANGES: Type.Integer({ default: 4, minimum: 0, maximum: 1000, description: 'up/down changes within FLAP_WINDOW results that make a device flapping (0 = off)' }),
  FLAP_WINDOW: Type.Integer({ default: 20, minimum: 2, maximum: 10000, description: "how many of a device's latest results flap detection looks at" }),
  // alerts (issue 8); the URLs are checked in validate-config.ts, which never echoes them (they hold tokens)
  ALERT_WEBHOOK_URLS: Type.String({ default: '', description: 'comma-separated http(s) URLs that get a POST on every state change; empty = no alerts' }),
  ALERT_WEBHOOK_FORMAT: Type.Union([Type.Literal('json'), Type.Literal('slack'), Type.Literal('discord')], { default: 'json' }),
  ALERT_BATCH_MIN: Type.Integer({ default: 5, minimum: 0, maximum: 1000000, description: 'more changes than this in one cycle go out as one message' }),
  ALERT_QUEUE_MAX: Type.Integer({ default: 1000, minimum: 1, maximum: 1000000, description: 'most alerts waiting per receiver; the oldest are dropped beyond it' }),
  ALERT_TIMEOUT: Type.Number({ default: 5, minimum: 0.1, maximum: 120, description: 'seconds one webhook POST may take' }),
  ALERT_RETRIES: Type.Integer({ default: 5, minimum: 0, maximum: 20, description: 'retries of a failed webhook POST' }),
  ALERT_RETRY_DELAY: Type.Number({ default: 1, minimum: 0.01, maximum: 60, description: 'seconds before the first retry; doubled for each further one, at most 60 s' }),
  // maintenance (issue 13)
  MAINTENANCE_FILE: Type.Optional(Type.String({ minLength: 1, description: 'where maintenance windows are kept (default CSV_OUTPUT_DIR/maintenance_windows.json)' })),
  MAINTENANCE_OVERDUE_HOUR: Type.Integer({ default: 8, minimum: 0, maximum: 23, description: 'local hour from which the daily notice of overdue maintenance is sent' }),
  // locations (issue 13): one alert per site, uplinks
  SITE_DOWN_MIN: Type.Integer({ default: 3, minimum: 1, maximum: 1000000, description: 'at least this many devices of a location (not in maintenance) down make the location down (one site alert)' }),
  SITE_DOWN_RATIO: Type.Number({ default: 0.8, minimum: 0, maximum: 1, description: 'and they must be at least this share of its devices not in maintenance' }),
  UPLINK_TYPE_IDS: Type.String({ default: '', pattern: '^\\s*(\\d+\\s*(,\\s*\\d+\\s*)*)?$', description: 'comma-separated device type ids (jenis_barang_id) that are the uplinks of their location; empty = none' }),
  // alert channels (issue 15): checked in validate-config.ts; secrets in the file only as ${ENV} references
  ALERT_CHANNELS_FILE: Type.String({ default: '', description: 'YAML or JSON file listing alert channels (telegram, fonnte, wablas, whatsapp_cloud, email, teams, ntfy, pagerduty, webhook); empty = none' }),
  ALERT_LANGUAGE: Type.Union([Type.Literal('id'), Type.Literal('en')], { default: 'id', description: 'language of the default alert texts of ALERT_CHANNELS_FILE channels' }),
  // scale-out (issue 7): the instance monitors only the devices with device_id mod SHARD_COUNT = SHARD_INDEX
  SHARD_COUNT: Type.Integer({ default: 1, minimum: 1, maximum: 10000, description: 'how many instances share the inventory' }),
  SHARD_INDEX: Type.Integer({ default: 0, minimum: 0, maximum: 9999, description: "this instance's shard, 0 to SHARD_COUNT - 1" }),
  // cluster mode (issue 16): partitions owned through NATS JetStream KV, results shared on a stream
  CLUSTER_MODE: Type.Union([Type.Literal('static'), Type.Literal('nats')], { default: 'static', description: 'static: SHARD_COUNT/SHARD_INDEX (no NATS); nats: partitions handed out among the live instances through NATS JetStream' }),
  NATS_SERVERS: Type.String({ default: 'nats://127.0.0.1:4222', pattern: '^(nats|tls)://[^\\s,/@]+(,\\s*(nats|tls)://[^\\s,/@]+)*$', description: 'comma-separated nats://host:port (or tls://host:port) URLs of the NATS cluster, without credentials (NATS_USER, NATS_TOKEN, NATS_CREDS_FILE)' }),
  NATS_USER: Type.Optional(Type.String({ minLength: 1 })),
  NATS_PASSWORD: Type.Optional(Type.String({ minLength: 1 })),
  NATS_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
  NATS_CREDS_FILE: Type.Optional(Type.String({ minLength: 1, description: 'a .creds file (JWT + NKey seed)' })),
  NATS_TLS_CA_FILE: Type.Optional(Type.String({ minLength: 1, description: 'CA certificate(s) that sign the servers\' certificates; setting it turns TLS on' })),
  NATS_TLS_CERT_FILE: Type.Optional(Type.String({ minLength: 1, description: 'client certificate for mutual TLS (with NATS_TLS_KEY_FILE)' })),
  NATS_TLS_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
  INSTANCE_ID: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$', description: 'this instance\'s name in the cluster (default hostname:PORT); letters, digits, _ . : -' })),
  CLUSTER_PARTITIONS: Type.Integer({ default: 1024, minimum: 1, maximum: 65536, description: 'partitions the devices fall into (hash of device_id); the same on every instance, never changed while any runs' }),
  CLUSTER_LEASE: Type.Number({ default: 10, minimum: 1, maximum: 600, description: 'seconds without a presence renewal after which an instance counts as gone and its partitions are taken over' }),
  CLUSTER_REPLICAS: Type.Integer({ default: 1, minimum: 1, maximum: 5, description: 'JetStream replicas of the cluster buckets and the results stream (3 on a 3-node NATS cluster)' }),
  CLUSTER_PREFIX: Type.String({ default: 'mpm', minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_-]+$', description: 'names of the KV buckets, the results stream and its subjects (one fleet per prefix)' }),
  CLUSTER_PEER_TIMEOUT: Type.Number({ default: 2, minimum: 0.1, maximum: 30, description: 'seconds a device history answer waits for the other instances\' part of it; an instance that did not answer by then is listed in missing_owners (partial: true)' }),
  CLUSTER_ON_NATS_LOSS: Type.Union([Type.Literal('fence'), Type.Literal('keep')], { default: 'fence', description: 'fence: after 0.6 x CLUSTER_LEASE without NATS, stop pinging (the others take over, no device pinged twice); keep: go on pinging the partitions held (no blind spot, but devices may be pinged twice)' })
})

export type Config = Static<typeof envSchema>

/** PING_INTERVAL's floor with ALLOW_FAST_INTERVAL=true */
export const FAST_INTERVAL_MIN = 0.1

/** What each variable accepts, for the one-line start error. */
export function describeAccepted (name: string): string {
  const prop = (envSchema.properties as Record<string, any>)[name]
  if (prop === undefined) return 'a known setting'
  if (prop.anyOf !== undefined) return 'one of ' + prop.anyOf.map((p: any) => p.const).join(', ')
  const parts: string[] = []
  if (prop.type === 'boolean') return 'true or false'
  parts.push(prop.type === 'integer' ? 'a whole number' : prop.type === 'number' ? 'a number' : 'text')
  if (prop.minimum !== undefined) parts.push(`>= ${prop.minimum}`)
  if (prop.exclusiveMinimum !== undefined) parts.push(`> ${prop.exclusiveMinimum}`)
  if (prop.maximum !== undefined) parts.push(`<= ${prop.maximum}`)
  if (prop.minLength !== undefined) parts.push('not empty')
  if (prop.pattern !== undefined && prop.description !== undefined) return prop.description
  return parts.join(', ')
}
