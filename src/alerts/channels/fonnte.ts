import type { Attempt } from '../delivery-queue.js'
import { sendHttp, truncate, under, type Provider } from './provider.js'

// https://docs.fonnte.com/api-send-message/ : POST https://api.fonnte.com/send, header
// "Authorization: TOKEN", form fields target and message. Fonnte answers 200 with {"status":false,
// "reason":...} when it refuses (bad token, disconnected device): that is a failure, not a delivery.
export interface FonnteSettings { api: URL, token: string, target: string, countryCode: string | undefined }

export const fonnte: Provider<FonnteSettings> = {
  parse: (r) => ({
    api: r.url('api_url', 'https://api.fonnte.com'),
    token: r.secret('token', true),
    target: r.string('target', true),
    countryCode: r.string('country_code')
  }),
  target: (c) => c.api.host,
  defaultMinIntervalS: 60,
  spacingKey: (c) => `whatsapp:${c.target}`,
  send: async (m, c, ctx) => {
    const form = new FormData()
    form.set('target', c.target)
    form.set('message', truncate(m.text, 4000))
    if (c.countryCode !== undefined) form.set('countryCode', c.countryCode)
    const a = await sendHttp([{ url: under(c.api, '/send'), headers: { authorization: c.token }, body: form }], ctx)
    return refusedInBody(a)
  }
}

/** WhatsApp gateways answer 200 with {"status": false, "reason"/"message": ...} when they refuse. */
export function refusedInBody (a: Attempt): Attempt {
  if (!a.ok || a.answer === undefined) return a
  try {
    const body = JSON.parse(a.answer.replace(/^HTTP \d+: /, ''))
    if (body?.status === false) return { ...a, ok: false, retryable: false, error: 'refused by the gateway (status false)' }
  } catch {}
  return a
}
