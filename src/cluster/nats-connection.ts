import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { credsAuthenticator, type ConnectionOptions } from '@nats-io/transport-node'
import type { Config } from '../config/env-schema.js'

export type ClusterConfig = Pick<Config, 'NATS_SERVERS' | 'NATS_USER' | 'NATS_PASSWORD' | 'NATS_TOKEN' | 'NATS_CREDS_FILE' |
'NATS_TLS_CA_FILE' | 'NATS_TLS_CERT_FILE' | 'NATS_TLS_KEY_FILE' | 'INSTANCE_ID' | 'PORT'>

/** INSTANCE_ID, or hostname:PORT: unique per host and port, and the same after a restart. */
export function instanceId (c: Pick<Config, 'INSTANCE_ID' | 'PORT'>): string {
  return c.INSTANCE_ID ?? `${hostname()}:${c.PORT}`
}

export function natsServers (list: string): string[] {
  return list.split(',').map((s) => s.trim()).filter((s) => s !== '')
}

/**
 * The client's connection options from the settings. It reconnects for ever (a NATS outage must end
 * in recovery, not in a dead instance); meanwhile the coordinator fences itself on its own clock.
 */
export function natsConnectOptions (c: ClusterConfig): ConnectionOptions {
  const opts: ConnectionOptions = {
    servers: natsServers(c.NATS_SERVERS),
    name: `multi-ping-monitor ${instanceId(c)}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // a dead server is noticed in seconds, not the 2 minutes of the default
    pingInterval: 5000,
    maxPingOut: 2,
    timeout: 5000
  }
  if (c.NATS_USER !== undefined) {
    opts.user = c.NATS_USER
    if (c.NATS_PASSWORD !== undefined) opts.pass = c.NATS_PASSWORD
  }
  if (c.NATS_TOKEN !== undefined) opts.token = c.NATS_TOKEN
  if (c.NATS_CREDS_FILE !== undefined) {
    const file = c.NATS_CREDS_FILE
    // read at each (re)connection, so that a rotated file is picked up
    opts.authenticator = credsAuthenticator(() => readFileSync(file))
  }
  if (c.NATS_TLS_CA_FILE !== undefined || c.NATS_TLS_CERT_FILE !== undefined) {
    opts.tls = {
      ...(c.NATS_TLS_CA_FILE !== undefined ? { caFile: c.NATS_TLS_CA_FILE } : {}),
      ...(c.NATS_TLS_CERT_FILE !== undefined ? { certFile: c.NATS_TLS_CERT_FILE } : {}),
      ...(c.NATS_TLS_KEY_FILE !== undefined ? { keyFile: c.NATS_TLS_KEY_FILE } : {})
    }
  }
  return opts
}
