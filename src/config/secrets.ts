import type { Config } from './env-schema.js'
import { webhookEntries } from './webhook-urls.js'

/**
 * The settings whose values are secrets: never logged, never echoed in an error, never in an answer.
 * Webhook URLs (Slack, Discord) carry their tokens in the path.
 */
export const SECRET_SETTINGS = ['DB_PASSWORD', 'API_KEY', 'ALERT_WEBHOOK_URLS', 'NATS_PASSWORD', 'NATS_TOKEN'] as const

/**
 * The keys of ALERT_CHANNELS_FILE channels that hold credentials (always ${ENV} references there):
 * redacted wherever an object carrying them is logged. Their values are redacted from free text through
 * channelSecretValues.
 */
export const CHANNEL_SECRET_KEYS = ['bot_token', 'token', 'access_token', 'routing_key', 'secret_key', 'smtp_url'] as const

/** pino's redaction paths: the secret settings wherever they are logged, and the request's credentials. */
export const LOG_REDACT_PATHS: string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  '*.password',
  ...CHANNEL_SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_SETTINGS.map((s) => `*.${s}`),
  ...SECRET_SETTINGS
]

export const REDACTED = '[REDACTED]'

export function isSecretSetting (name: string): boolean {
  return (SECRET_SETTINGS as readonly string[]).includes(name)
}

/** The secret values of these settings, for redactSecrets: each webhook URL on its own as well as the list. */
export function secretValues (config: Partial<Pick<Config, (typeof SECRET_SETTINGS)[number]>>): string[] {
  const out: string[] = []
  for (const name of SECRET_SETTINGS) {
    const value = config[name]
    if (value === undefined || value === '') continue
    out.push(value)
    if (name === 'ALERT_WEBHOOK_URLS') {
      for (const entry of webhookEntries(value)) {
        out.push(entry)
        // the form a driver or fetch would print (lower-case host, a path of at least "/")
        try { out.push(new URL(entry).href) } catch {}
      }
    }
  }
  return out
}

/**
 * The secrets of the alert channels: every value a ${ENV} reference resolved to, each credential, and
 * the URLs that are credentials themselves (Teams, webhooks). For redactSecrets, beside secretValues.
 */
export function channelSecretValues (channels: ReadonlyArray<{ secrets: readonly string[] }>): string[] {
  return [...new Set(channels.flatMap((c) => c.secrets))].filter((s) => s !== '')
}

/**
 * The one redaction of free text (driver and network error messages): every occurrence of each secret,
 * as written or percent-encoded, becomes [REDACTED]. Plain string matching, so any character is safe.
 */
export function redactSecrets (text: string, secrets: readonly string[]): string {
  const forms = new Set<string>()
  for (const s of secrets) {
    if (s === '') continue
    forms.add(s)
    try { forms.add(encodeURIComponent(s)) } catch {}
  }
  // longest first: a secret that holds another is replaced whole, not left in pieces
  let out = text
  for (const f of [...forms].sort((a, b) => b.length - a.length)) out = out.split(f).join(REDACTED)
  return out
}
