import Mustache from 'mustache'
import { buildNoticePayload, buildPayload, toAlertEvent, type AlertFormat } from '../alert-message.js'
import type { OutMessage } from '../channel-message.js'
import { checkTemplate } from '../channel-message.js'
import { json, sendHttp, type Provider } from './provider.js'

// A generic webhook: the json / slack / discord bodies of ALERT_WEBHOOK_URLS, or the channel's own
// body_template (mustache over title, text, severity and the events) with its own headers.
export interface WebhookSettings { url: URL, format: AlertFormat, headers: Record<string, string>, bodyTemplate: string | undefined }

export const webhook: Provider<WebhookSettings> = {
  parse: (r) => {
    const url = r.url('url')
    // Slack and Discord webhook URLs are their own credential
    r.secrets.push(url.href)
    const bodyTemplate = r.string('body_template')
    const bad = bodyTemplate === undefined ? null : checkTemplate(bodyTemplate)
    if (bad !== null) r.fail(`body_template: ${bad}`)
    const headers = r.map('headers')
    for (const v of Object.values(headers)) r.secrets.push(v)
    return { url, format: r.oneOf('format', ['json', 'slack', 'discord'] as const, 'json'), headers, bodyTemplate }
  },
  target: (c) => c.url.host,
  send: async (m, c, ctx) => await sendHttp([{ url: c.url, headers: { ...json(null).headers, ...c.headers }, body: webhookBody(m, c) }], ctx)
}

export function webhookBody (m: OutMessage, c: WebhookSettings): string {
  const { events, notices } = m.digest
  if (c.bodyTemplate !== undefined) {
    const view = { title: m.title, text: m.text, severity: m.severity, resolved: m.resolved, lines: m.lines, count: m.lines.length, events: events.map(toAlertEvent) }
    // a JSON body: values are JSON-escaped (without the quotes), so a device name cannot break it
    return Mustache.render(c.bodyTemplate, view, {}, { escape: (s: string) => JSON.stringify(String(s)).slice(1, -1) })
  }
  if (notices.length === 0) {
    const p = buildPayload(events.length === 1 ? { kind: 'single', event: events[0] } : { kind: 'batch', events }, c.format)
    return JSON.stringify(withText(p, m.text, c.format))
  }
  if (events.length === 0 && notices.length === 1) return JSON.stringify(withText(buildNoticePayload(notices[0], c.format), m.text, c.format))
  const p = c.format === 'json'
    ? { type: 'alerts', count: m.lines.length, text: m.text, events: events.map(toAlertEvent), notices: notices.map((n) => buildNoticePayload(n, 'json')) }
    : buildNoticePayload({ event: 'test', at: Date.now(), text: m.text }, c.format)
  return JSON.stringify(withText(p, m.text, c.format))
}

// the channel's language and template, in the field each format shows
function withText (p: Record<string, unknown>, text: string, format: AlertFormat): Record<string, unknown> {
  const key = format === 'discord' ? 'content' : 'text'
  const max = format === 'discord' ? 2000 : format === 'slack' ? 3000 : 4000
  const value = format === 'slack' ? text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') : text
  return { ...p, [key]: value.length <= max ? value : value.slice(0, max - 1) + '…' }
}
