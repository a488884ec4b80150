import { isIP } from 'node:net'
import { ConfigError } from './load-config.js'

/** Fastify's trustProxy option */
export type TrustProxy = boolean | string[] | ((address: string, hop: number) => boolean)

/**
 * TRUST_PROXY as Fastify's trustProxy: false, true (believe any X-Forwarded-For: only behind a proxy
 * that always sets it), a hop count, or proxy addresses/CIDRs. Throws the ConfigError line for an
 * entry that is no address, or whose prefix or netmask Fastify would refuse.
 */
export function readTrustProxy (value: string | undefined): TrustProxy {
  const v = (value ?? 'false').trim()
  if (v === '' || v === 'false') return false
  if (v === 'true') return true
  if (/^\d+$/.test(v)) {
    const hops = Number(v)
    return (_address, hop) => hop < hops
  }
  const list = v.split(',').map((s) => s.trim()).filter((s) => s !== '')
  if (!list.every(isProxyAddress)) throw new ConfigError('TRUST_PROXY', value)
  return list
}

/**
 * For building Fastify, which needs trustProxy before the settings are checked: a value the check
 * will refuse (with its one line) must not make Fastify throw first, so it counts as false here.
 */
export function parseTrustProxy (value: string | undefined): TrustProxy {
  try {
    return readTrustProxy(value)
  } catch {
    return false
  }
}

/** An address, or address/prefix, or IPv4 address/netmask, as @fastify/proxy-addr accepts them. */
function isProxyAddress (entry: string): boolean {
  const slash = entry.lastIndexOf('/')
  const family = isIP(slash === -1 ? entry : entry.slice(0, slash))
  if (family === 0) return false
  if (slash === -1) return true
  const range = entry.slice(slash + 1)
  if (/^\d+$/.test(range)) {
    const bits = Number(range)
    return bits > 0 && bits <= (family === 6 ? 128 : 32)
  }
  return family === 4 && isIP(range) === 4 && isNetmask(range)
}

/** a non-zero run of leading one bits, then zeros (255.255.0.0, not 255.0.255.0 or 0.0.0.0) */
function isNetmask (mask: string): boolean {
  const n = mask.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0)
  if (n === 0) return false
  const inverted = 2 ** 32 - 1 - n
  return (inverted & (inverted + 1)) === 0
}
