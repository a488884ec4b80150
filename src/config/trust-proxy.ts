import { isIP } from 'node:net'

/**
 * TRUST_PROXY as Fastify's trustProxy: false, true (believe any X-Forwarded-For: only behind a proxy
 * that always sets it), a hop count, or proxy addresses/CIDRs. It is needed when Fastify is built,
 * before the settings plugin runs; a bad value is reported by the settings check.
 */
export function parseTrustProxy (value: string | undefined): boolean | string[] | ((address: string, hop: number) => boolean) {
  const v = (value ?? 'false').trim()
  if (v === '' || v === 'false') return false
  if (v === 'true') return true
  if (/^\d+$/.test(v)) {
    const hops = Number(v)
    return (_address, hop) => hop < hops
  }
  const list = v.split(',').map((s) => s.trim()).filter((s) => s !== '')
  // anything else is left to the settings check, which names the setting and what it accepts
  return list.every((a) => isIP(a.split('/')[0]) !== 0) ? list : false
}
