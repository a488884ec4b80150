import { readFileSync } from 'node:fs'
import Mustache from 'mustache'
import nodemailer, { type Transporter } from 'nodemailer'
import type { Attempt } from '../delivery-queue.js'
import type { Provider } from './provider.js'

// E-mail over SMTP through nodemailer (https://nodemailer.com/smtp/): smtp:// upgrades with STARTTLS
// when the server offers it, smtps:// is TLS from the start; the URL's user and password are the auth.
export interface EmailSettings {
  url: URL
  from: string
  to: string[]
  cc: string[]
  rejectUnauthorized: boolean
  ca: string | undefined
  transport: Transporter | null
}

export const email: Provider<EmailSettings> = {
  parse: (r) => {
    const raw = r.rawString('smtp_url') ?? r.fail('smtp_url is missing')
    // a password only as a ${ENV} reference (the file holds no secret)
    const rawPassword = /^smtps?:\/\/[^/@:]*:([^@]*)@/.exec(raw)?.[1]
    if (rawPassword !== undefined && rawPassword !== '' && !/\$\{/.test(rawPassword)) r.fail('smtp_url: the password must be a $' + '{ENV_VARIABLE} reference, not written in the file')
    const url = r.url('smtp_url', undefined, ['smtp:', 'smtps:'])
    if (url.password !== '') r.secrets.push(url.password, decodeURIComponent(url.password))
    const to = r.list('to') ?? []
    if (to.length === 0) r.fail('to is missing')
    const caFile = r.string('ca_file')
    let ca: string | undefined
    if (caFile !== undefined) {
      try { ca = readFileSync(caFile, 'utf8') } catch { r.fail('ca_file cannot be read') }
    }
    return { url, from: r.string('from', true), to, cc: r.list('cc') ?? [], rejectUnauthorized: r.boolean('tls_reject_unauthorized', true), ca, transport: null }
  },
  target: (c) => c.url.host,
  send: async (m, c, ctx) => {
    c.transport ??= nodemailer.createTransport({
      url: c.url.href,
      connectionTimeout: ctx.timeoutMs,
      greetingTimeout: ctx.timeoutMs,
      socketTimeout: ctx.timeoutMs,
      tls: { rejectUnauthorized: c.rejectUnauthorized, ...(c.ca !== undefined ? { ca: c.ca } : {}) }
    } as any)
    const transport = c.transport
    const onStop = () => transport.close()
    ctx.signal.addEventListener('abort', onStop, { once: true })
    try {
      const info = await transport.sendMail({
        from: c.from,
        to: c.to,
        ...(c.cc.length > 0 ? { cc: c.cc } : {}),
        subject: m.title,
        text: m.text,
        html: emailHtml(m.title, m.lines.length > 1 ? m.lines : [m.text], m.severity)
      })
      return { ok: true, retryable: false, error: '', retryAfterMs: null, answer: ctx.redact(String(info.response ?? 'sent')).slice(0, 500) }
    } catch (err: any) {
      return smtpFailure(err, ctx.signal.aborted, ctx.redact)
    } finally {
      ctx.signal.removeEventListener('abort', onStop)
    }
  },
  close: (c) => { c.transport?.close() }
}

const COLORS = { critical: '#b00020', warning: '#b26a00', info: '#1b5e20' } as const

export function emailHtml (title: string, lines: string[], severity: keyof typeof COLORS): string {
  const esc = Mustache.escape
  return `<!doctype html><html><body style="font-family:sans-serif"><h2 style="color:${COLORS[severity]}">${esc(title)}</h2>` +
    `<ul>${lines.map((l) => `<li>${esc(l).replace(/\n/g, '<br>')}</li>`).join('')}</ul></body></html>`
}

/** SMTP 4xx and connection problems are worth a retry; 5xx (bad recipient, auth refused) are not. */
export function smtpFailure (err: any, aborted: boolean, redact: (s: string) => string): Attempt {
  if (aborted) return { ok: false, retryable: false, error: 'aborted at shutdown', retryAfterMs: null }
  const code = typeof err?.responseCode === 'number' ? err.responseCode : null
  if (code !== null) {
    return { ok: false, retryable: code >= 400 && code < 500, error: `SMTP ${code}${err?.code === 'EAUTH' ? ' (authentication failed)' : ''}`, retryAfterMs: null, answer: redact(String(err?.response ?? '')).slice(0, 500) }
  }
  const c = typeof err?.code === 'string' ? err.code : null
  if (c === 'EAUTH') return { ok: false, retryable: false, error: 'SMTP authentication failed', retryAfterMs: null }
  if (c === 'ETIMEDOUT') return { ok: false, retryable: true, error: 'no answer from the SMTP server in time', retryAfterMs: null }
  const sys = err?.errno !== undefined || c === 'ECONNECTION' || c === 'ESOCKET' || c === 'EDNS' || c === 'ETLS'
  const detail = typeof err?.cause?.code === 'string' ? err.cause.code : /ECONN\w+|ENOTFOUND|EHOSTUNREACH/.exec(String(err?.message))?.[0] ?? c
  return { ok: false, retryable: sys || c === null, error: detail === null ? 'connection failed' : `connection failed (${detail})`, retryAfterMs: null }
}
