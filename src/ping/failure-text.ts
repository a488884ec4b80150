import { ERR_RESOLVE_FAILED, ERR_TIMEOUT, ERR_TTL_EXCEEDED, ERR_UNKNOWN_HOST, ERR_UNREACHABLE, type PingOutcome } from './types.js'

// The one vocabulary of failure texts, whichever program produced the output. Windows prints its
// messages in the system language and an OEM code page, so only ASCII fragments are matched: English,
// plus German, French and Spanish where the wording is known.
const UNREACHABLE = /destination (?:host |net |network |port |protocol )?unreachable|host unreachable|network is unreachable|no route to host|icmp(?:v6)? .*(?:unreachable|prohibited)|packet filtered|communication administratively prohibited|zielhost nicht erreichbar|zielnetz nicht erreichbar|inaccessible|inaccesible|impossible de joindre/i
const TTL = /time to live exceeded|ttl expired|time exceeded/i
const UNKNOWN = /name or service not known|unknown host|cannot resolve|could not find host|bad address|no address associated|nodename nor servname|konnte host .* nicht finden|pas pu trouver l|no pudo encontrar el host/i
const RESOLVE = /temporary failure in name resolution/i
const NOT_PERMITTED = /operation not permitted|permission denied|socket: |must run as root|too risky/i
const TIMED_OUT = /timed out|request timeout|100(?:\.0)?% packet loss|\b0 received|\b0 packets received|berschreitung der anforderung|attente de la demande|tiempo de espera agotado/i

/**
 * The failure a piece of ping/fping output (or an error message) describes, or null when it says
 * nothing known. The order matters: an ICMP error beats the packet loss it causes.
 */
export function describeFailure (text: string, firstErrorLine = ''): string | null {
  if (UNREACHABLE.test(text)) return ERR_UNREACHABLE
  if (TTL.test(text)) return ERR_TTL_EXCEEDED
  if (UNKNOWN.test(text)) return ERR_UNKNOWN_HOST
  if (RESOLVE.test(text)) return ERR_RESOLVE_FAILED
  if (NOT_PERMITTED.test(text)) return 'Ping not permitted: ' + (firstErrorLine || firstLine(text))
  if (TIMED_OUT.test(text)) return ERR_TIMEOUT
  return null
}

export function firstLine (s: string): string {
  return (s.split('\n').find((l) => l.trim() !== '') ?? '').trim().slice(0, 200)
}

export function describeSpawnError (command: string, code: string): string {
  if (code === 'ENOENT') return `Ping program not found: ${command}`
  if (code === 'EACCES' || code === 'EPERM') return `Ping program not executable: ${command}`
  return `Ping program could not start (${code}): ${command}`
}

/** A failed outcome with this text, whichever backend pinged. */
export function fail (error_message: string): PingOutcome {
  return { success: false, response_time_ms: null, error_message }
}
