import type { Attempt } from './delivery-queue.js'

export interface HttpRequest {
  url: URL
  method?: 'POST'
  headers: Record<string, string>
  body: string | URLSearchParams | FormData
}

export interface HttpAttemptOptions {
  timeoutMs: number
  userAgent: string
  /** aborts the request (shutdown) */
  signal: AbortSignal
  fetch?: typeof fetch
  now?: () => number
  /** a wait the provider puts in its body (Telegram's parameters.retry_after), in ms */
  retryAfterFromBody?: (body: string) => number | null
  /** redacts the provider's answer before it is kept */
  redact?: (text: string) => string
}

const ANSWER_MAX = 500

/** One HTTP request to a receiver, classified the way every HTTP channel type needs it. */
export async function httpAttempt (req: HttpRequest, o: HttpAttemptOptions): Promise<Attempt> {
  // not AbortSignal.any([AbortSignal.timeout(ms), ...]): on Node 20 the timeout signal inside it can
  // be garbage collected before it fires (nodejs/node#57736), and a receiver that never answers then
  // held its queue forever (seen in the tests). A plain timer is held until it is cleared.
  const ac = new AbortController()
  const timer = setTimeout(() => ac.abort(new DOMException(`no answer within ${o.timeoutMs} ms`, 'TimeoutError')), o.timeoutMs)
  const onStop = () => ac.abort(o.signal.reason)
  if (o.signal.aborted) onStop()
  else o.signal.addEventListener('abort', onStop, { once: true })
  const redact = o.redact ?? ((s: string) => s)
  try {
    const res = await (o.fetch ?? globalThis.fetch)(req.url, {
      method: req.method ?? 'POST',
      headers: { 'user-agent': o.userAgent, ...req.headers },
      body: req.body,
      signal: ac.signal,
      // a POST that is redirected turns into a GET: a receiver that moved is a setting to fix
      redirect: 'manual'
    })
    const text = await res.text().catch(() => '')
    const answer = redact(`HTTP ${res.status}${text === '' ? '' : ': ' + text.slice(0, ANSWER_MAX)}`)
    if (res.status >= 200 && res.status < 300) return { ok: true, retryable: false, error: '', retryAfterMs: null, answer }
    const retryable = res.status === 408 || res.status === 429 || res.status >= 500
    const fromBody = o.retryAfterFromBody?.(text) ?? null
    return { ok: false, retryable, error: `HTTP ${res.status}`, retryAfterMs: fromBody ?? retryAfter(res.headers.get('retry-after'), (o.now ?? Date.now)()), answer }
  } catch (err: any) {
    if (err?.name === 'TimeoutError') return { ok: false, retryable: true, error: `no answer within ${o.timeoutMs} ms`, retryAfterMs: null }
    if (o.signal.aborted) return { ok: false, retryable: false, error: 'aborted at shutdown', retryAfterMs: null }
    // never err.message alone: some network errors quote the URL, and the URL may hold a token
    const code = err?.cause?.code ?? err?.code
    return { ok: false, retryable: true, error: typeof code === 'string' ? `connection failed (${code})` : 'connection failed', retryAfterMs: null }
  } finally {
    clearTimeout(timer)
    o.signal.removeEventListener('abort', onStop)
  }
}

/** Retry-After in seconds or as an HTTP date, in ms from now; null if absent or unreadable. */
export function retryAfter (value: string | null, now: number): number | null {
  if (value === null || value.trim() === '') return null
  const v = value.trim()
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000)
  const at = Date.parse(v)
  return Number.isNaN(at) ? null : Math.max(0, at - now)
}
