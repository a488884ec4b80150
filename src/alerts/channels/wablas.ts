import { sendHttp, truncate, under, type Provider } from './provider.js'
import { refusedInBody } from './fonnte.js'

// https://wablas.com/documentation/api : POST {server}/api/send-message, header "Authorization: TOKEN"
// (or "TOKEN.SECRET_KEY" on accounts with a secret key), form fields phone and message. Each account
// has its own server (https://<region>.wablas.com), so api_url is required.
export interface WablasSettings { api: URL, token: string, secretKey: string | undefined, phone: string }

export const wablas: Provider<WablasSettings> = {
  parse: (r) => ({
    api: r.url('api_url'),
    token: r.secret('token', true),
    secretKey: r.secret('secret_key'),
    phone: r.string('phone') ?? r.string('target', true)
  }),
  target: (c) => c.api.host,
  defaultMinIntervalS: 60,
  spacingKey: (c) => `whatsapp:${c.phone}`,
  send: async (m, c, ctx) => refusedInBody(await sendHttp([{
    url: under(c.api, '/api/send-message'),
    headers: { authorization: c.secretKey === undefined ? c.token : `${c.token}.${c.secretKey}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ phone: c.phone, message: truncate(m.text, 4000) })
  }], ctx))
}
