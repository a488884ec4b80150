import { ConfigError } from '../config/load-config.js'

/** A mistake in ALERT_CHANNELS_FILE: one line naming the channel and the problem. */
export function channelError (channel: string, problem: string): ConfigError {
  return new ConfigError('ALERT_CHANNELS_FILE', undefined, { problem: `channel ${channel}: ${problem}` })
}

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g

/**
 * Reads one channel's settings as written in the file: `${NAME}` is replaced by the environment
 * variable NAME (which must be set), and every value so substituted is remembered as a secret. Each
 * mistake throws the one start-up line, which names the key but never a value.
 */
export class ChannelReader {
  readonly secrets: string[] = []
  readonly used = new Set<string>()

  constructor (readonly label: string, readonly raw: Record<string, unknown>, private readonly env: NodeJS.ProcessEnv) {}

  fail (problem: string): never {
    throw channelError(this.label, problem)
  }

  /** the raw text of a key, before ${ENV} substitution */
  rawString (key: string): string | undefined {
    const v = this.raw[key]
    if (v === undefined || v === null) return undefined
    if (typeof v === 'number') return String(v)
    if (typeof v !== 'string') this.fail(`${key} must be text`)
    return v
  }

  substitute (key: string, text: string): string {
    return text.replace(REF, (_m, name: string) => {
      const value = this.env[name]
      if (value === undefined || value === '') this.fail(`${key} refers to \${${name}}, which is not set in the environment`)
      this.secrets.push(value)
      return value
    })
  }

  string (key: string): string | undefined
  string (key: string, required: true): string
  string (key: string, required = false): string | undefined {
    this.used.add(key)
    const v = this.rawString(key)
    if (v === undefined || v.trim() === '') {
      if (required) this.fail(`${key} is missing`)
      return undefined
    }
    return this.substitute(key, v.trim())
  }

  /** A credential: only as a ${ENV} reference, so that the file itself holds no secret. */
  secret (key: string): string | undefined
  secret (key: string, required: true): string
  secret (key: string, required = false): string | undefined {
    const v = this.rawString(key)
    if (v !== undefined && v.trim() !== '' && !/\$\{[A-Za-z_][A-Za-z0-9_]*\}/.test(v)) this.fail(`${key} must be a \${ENV_VARIABLE} reference, not written in the file`)
    const out = required ? this.string(key, true) : this.string(key)
    if (out !== undefined) this.secrets.push(out)
    return out
  }

  url (key: string, fallback?: string, protocols = ['http:', 'https:']): URL {
    const s = this.string(key) ?? fallback
    if (s === undefined) this.fail(`${key} is missing`)
    let u: URL
    try {
      u = new URL(s)
    } catch {
      this.fail(`${key} is not a URL`)
    }
    if (!protocols.includes(u.protocol)) this.fail(`${key} must be a ${protocols.map((p) => p + '//').join(' or ')} URL`)
    return u
  }

  number (key: string, fallback: number, min: number, max: number): number {
    this.used.add(key)
    const v = this.raw[key]
    if (v === undefined || v === null) return fallback
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v
    if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) this.fail(`${key} must be a number from ${min} to ${max}`)
    return n
  }

  boolean (key: string, fallback: boolean): boolean {
    this.used.add(key)
    const v = this.raw[key]
    if (v === undefined || v === null) return fallback
    if (typeof v !== 'boolean') this.fail(`${key} must be true or false`)
    return v
  }

  /** a list written as a YAML/JSON list or as one comma-separated text */
  list (key: string): string[] | undefined {
    this.used.add(key)
    const v = this.raw[key]
    if (v === undefined || v === null) return undefined
    const items = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : this.fail(`${key} must be a list`)
    return items.map((x) => {
      if (typeof x !== 'string' && typeof x !== 'number') this.fail(`${key} must be a list of texts or numbers`)
      return this.substitute(key, String(x).trim())
    }).filter((x) => x !== '')
  }

  oneOf<T extends string> (key: string, allowed: readonly T[], fallback: T): T {
    const v = this.string(key) ?? fallback
    if (!(allowed as readonly string[]).includes(v)) this.fail(`${key} must be one of ${allowed.join(', ')}`)
    return v as T
  }

  /** string → string map (extra headers) */
  map (key: string): Record<string, string> {
    this.used.add(key)
    const v = this.raw[key]
    if (v === undefined || v === null) return {}
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(`${key} must be a map of names to texts`)
    const out: Record<string, string> = {}
    for (const [k, x] of Object.entries(v)) {
      if (typeof x !== 'string' && typeof x !== 'number') this.fail(`${key}.${k} must be text`)
      out[k] = this.substitute(`${key}.${k}`, String(x))
    }
    return out
  }
}
