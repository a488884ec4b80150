import type { AlertLanguage, OutMessage } from '../channel-message.js'
import type { ChannelReader } from '../channel-reader.js'
import type { Attempt } from '../delivery-queue.js'
import { httpAttempt, type HttpAttemptOptions, type HttpRequest } from '../http-attempt.js'

/** What a provider needs to send: the shutdown signal and the shared HTTP settings. */
export interface SendContext {
  signal: AbortSignal
  timeoutMs: number
  userAgent: string
  redact: (text: string) => string
  fetch?: typeof fetch
}

/**
 * One channel type: how its settings are read from the file, and how a rendered message becomes the
 * provider's request. The queue, the retries and the batching are shared (delivery-queue.ts, channel.ts).
 */
export interface Provider<C> {
  parse: (r: ChannelReader, language: AlertLanguage) => C
  /** host[:port] for /api/health (never a path: paths hold tokens) */
  target: (c: C) => string
  send: (m: OutMessage, c: C, ctx: SendContext) => Promise<Attempt>
  /** least seconds between two messages unless the channel says otherwise (WhatsApp numbers get banned) */
  defaultMinIntervalS?: number
  /** channels with the same key share their spacing (two channels to one WhatsApp number count as one) */
  spacingKey?: (c: C) => string
  close?: (c: C) => void
}

/** Sends the requests in order; the first failure is the attempt's (retried as a whole: providers dedupe). */
export async function sendHttp (reqs: HttpRequest[], ctx: SendContext, extra: Partial<HttpAttemptOptions> = {}): Promise<Attempt> {
  let last: Attempt = { ok: true, retryable: false, error: '', retryAfterMs: null, answer: 'nothing to send' }
  const answers: string[] = []
  for (const req of reqs) {
    last = await httpAttempt(req, { timeoutMs: ctx.timeoutMs, userAgent: ctx.userAgent, signal: ctx.signal, redact: ctx.redact, ...(ctx.fetch !== undefined ? { fetch: ctx.fetch } : {}), ...extra })
    if (last.answer !== undefined) answers.push(last.answer)
    if (!last.ok) break
  }
  return answers.length > 1 ? { ...last, answer: answers.join('\n') } : last
}

/**
 * Independent requests (one per PagerDuty key), `limit` at a time: the attempt fails if any did (a
 * retry sends them all again; the provider dedupes by key), retryable if any failure was.
 */
export async function sendHttpParallel (reqs: HttpRequest[], ctx: SendContext, limit: number): Promise<Attempt> {
  const results: Attempt[] = []
  let next = 0
  const worker = async () => {
    while (next < reqs.length) results.push(await sendHttp([reqs[next++]], ctx))
  }
  await Promise.all(Array.from({ length: Math.min(limit, reqs.length) }, worker))
  const failed = results.filter((a) => !a.ok)
  const answer = `${results.length - failed.length} of ${results.length} accepted` + (failed[0]?.answer === undefined ? '' : `; first refusal: ${failed[0].answer}`)
  if (failed.length === 0) return { ok: true, retryable: false, error: '', retryAfterMs: null, answer: results.length === 1 ? results[0].answer : answer }
  const waits = failed.map((a) => a.retryAfterMs).filter((w): w is number => w !== null)
  return { ok: false, retryable: failed.some((a) => a.retryable), error: failed[0].error, retryAfterMs: waits.length === 0 ? null : Math.max(...waits), answer }
}

export const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

export const truncate = (s: string, max: number) => s.length <= max ? s : s.slice(0, max - 1) + '…'

/** the base URL with a path added (a base URL may carry a path prefix of its own, e.g. a gateway behind a proxy) */
export function under (base: URL, path: string): URL {
  const u = new URL(base.href)
  u.pathname = u.pathname.replace(/\/+$/, '') + path
  return u
}
