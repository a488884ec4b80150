import type { Shard } from '../inventory/shard.js'
import { FAST_INTERVAL_MIN, envSchema, type Config } from './env-schema.js'
import { ConfigError } from './load-config.js'
import { isSecretSetting } from './secrets.js'
import { readTrustProxy, type TrustProxy } from './trust-proxy.js'
import { parseWebhookUrls } from './webhook-urls.js'
import { loadChannels, type ChannelSpec } from '../alerts/channel-config.js'

/**
 * Every check of the settings, in the order they run at start:
 * 1. the env schema (each setting's type and range), through @fastify/env with `schemaFor(env)`,
 *    its failure turned into the one line by `toConfigError`;
 * 2. `validateConfig`: what the schema cannot say (settings checked together, lists parsed), which
 *    also hands back the parsed values so that no plugin parses a setting again.
 * Each failure is one ConfigError line naming the setting.
 */

/** What validateConfig derives from the settings. */
export interface Settings {
  /** SHARD_INDEX of SHARD_COUNT */
  shard: Shard
  /** ALERT_WEBHOOK_URLS, parsed (secrets: log their host at most) */
  webhookUrls: URL[]
  /** TRUST_PROXY as Fastify's trustProxy */
  trustProxy: TrustProxy
  /** ALERT_CHANNELS_FILE, read and checked, its ${ENV} references resolved (secrets: see ChannelSpec.secrets) */
  channels: ChannelSpec[]
}

const fastSchema = {
  ...envSchema,
  properties: { ...envSchema.properties, PING_INTERVAL: { ...envSchema.properties.PING_INTERVAL, minimum: FAST_INTERVAL_MIN } }
}

function allowsFastInterval (env: Record<string, string | undefined>): boolean {
  return /^(true|1)$/i.test(env.ALLOW_FAST_INTERVAL ?? '')
}

/** The schema to check `env` against: ALLOW_FAST_INTERVAL=true lowers PING_INTERVAL's floor from 0.5 to 0.1 s. */
export function schemaFor (env: Record<string, string | undefined>): typeof envSchema {
  return allowsFastInterval(env) ? fastSchema : envSchema
}

/** Turns an ajv/env-schema failure into the one line an operator needs; never echoes a secret. */
export function toConfigError (err: any, env: Record<string, string | undefined>): Error {
  const first = err?.errors?.[0]
  if (first === undefined) return err
  const name = String(first.instancePath ?? '').replace(/^\//, '') || String(first.params?.missingProperty ?? 'unknown')
  if (name === 'PING_INTERVAL' && allowsFastInterval(env)) {
    return new ConfigError(name, env[name], `a number, >= ${FAST_INTERVAL_MIN} (ALLOW_FAST_INTERVAL=true), <= 3600`)
  }
  return new ConfigError(name, isSecretSetting(name) ? undefined : env[name])
}

/**
 * The checks the schema cannot make. `config` passed the schema; `env` is what it was read from, so
 * that an error quotes the value as the operator wrote it.
 */
export function validateConfig (config: Config, env: Record<string, string | undefined> = {}, processEnv: NodeJS.ProcessEnv = process.env): Settings {
  // history older than the CSV files kept could never be rebuilt after a restart
  if (config.CSV_RETENTION_DAYS > 0 && config.HISTORY_HOURS > config.CSV_RETENTION_DAYS * 24) {
    throw new ConfigError('HISTORY_HOURS', env.HISTORY_HOURS, `at most CSV_RETENTION_DAYS x 24 = ${config.CSV_RETENTION_DAYS * 24}`)
  }
  if (config.SHARD_INDEX >= config.SHARD_COUNT) {
    throw new ConfigError('SHARD_INDEX', env.SHARD_INDEX ?? config.SHARD_INDEX, `0 to SHARD_COUNT - 1 = ${config.SHARD_COUNT - 1}`)
  }
  // cluster mode hands the partitions out itself: a static shard on top would leave devices unmonitored
  if (config.CLUSTER_MODE === 'nats' && config.SHARD_COUNT > 1) {
    throw new ConfigError('SHARD_COUNT', env.SHARD_COUNT ?? config.SHARD_COUNT, '1 with CLUSTER_MODE=nats (the cluster hands the partitions out)')
  }
  if ((config.NATS_TLS_CERT_FILE === undefined) !== (config.NATS_TLS_KEY_FILE === undefined)) {
    const name = config.NATS_TLS_CERT_FILE === undefined ? 'NATS_TLS_CERT_FILE' : 'NATS_TLS_KEY_FILE'
    throw new ConfigError(name, undefined, 'set together with ' + (name === 'NATS_TLS_CERT_FILE' ? 'NATS_TLS_KEY_FILE' : 'NATS_TLS_CERT_FILE'))
  }
  if (config.NATS_PASSWORD !== undefined && config.NATS_USER === undefined) {
    throw new ConfigError('NATS_USER', undefined, 'set with NATS_PASSWORD')
  }
  const webhookUrls = parseWebhookUrls(config.ALERT_WEBHOOK_URLS)
  const trustProxy = readTrustProxy(config.TRUST_PROXY)
  // ${ENV} references are read from the process environment: they are not settings of this service
  const channels = loadChannels(config.ALERT_CHANNELS_FILE, processEnv, config.ALERT_LANGUAGE)
  return { shard: { index: config.SHARD_INDEX, count: config.SHARD_COUNT }, webhookUrls, trustProxy, channels }
}
