import { ConfigError } from './load-config.js'

/** The entries of ALERT_WEBHOOK_URLS as written (comma-separated, trimmed, empty ones left out). */
export function webhookEntries (value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '')
}

/**
 * Parses ALERT_WEBHOOK_URLS (comma-separated). The URLs of Slack and Discord webhooks are secrets, so
 * an error names the entry's position, never its text.
 */
export function parseWebhookUrls (value: string): URL[] {
  const out: URL[] = []
  const parts = webhookEntries(value)
  const fail = (i: number, problem: string) => new ConfigError('ALERT_WEBHOOK_URLS', undefined, { problem: `entry ${i + 1} ${problem}` })
  parts.forEach((s, i) => {
    let url: URL
    try {
      url = new URL(s)
    } catch {
      throw fail(i, 'is not a URL')
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail(i, 'is not an http:// or https:// URL')
    // fetch refuses URLs with credentials; say so at start instead of at the first alert
    if (url.username !== '' || url.password !== '') throw fail(i, 'has a user name or password in it (not supported)')
    out.push(url)
  })
  return out
}
