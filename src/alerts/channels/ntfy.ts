import { sendHttp, truncate, under, type Provider } from './provider.js'

// https://docs.ntfy.sh/publish/ : POST {server}/{topic}, the message as the body, Title / Priority
// (1-5) / Tags headers, "Authorization: Bearer <token>" for protected topics. Header values must be
// ASCII: other text goes RFC 2047-encoded, which ntfy decodes.
export interface NtfySettings { api: URL, topic: string, token: string | undefined }

const PRIORITY = { critical: '5', warning: '4', info: '3' } as const
const TAGS = { critical: 'rotating_light', warning: 'warning', info: 'information_source' } as const

export const ntfy: Provider<NtfySettings> = {
  parse: (r) => {
    const topic = r.string('topic', true)
    if (!/^[-_A-Za-z0-9]{1,64}$/.test(topic)) r.fail('topic must be 1 to 64 letters, digits, - or _')
    return { api: r.url('api_url', 'https://ntfy.sh'), topic, token: r.secret('token') }
  },
  target: (c) => c.api.host,
  send: async (m, c, ctx) => await sendHttp([{
    url: under(c.api, `/${c.topic}`),
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      title: headerText(truncate(m.title, 250)),
      priority: m.resolved ? '3' : PRIORITY[m.severity],
      tags: m.resolved ? 'white_check_mark' : TAGS[m.severity],
      ...(c.token !== undefined ? { authorization: `Bearer ${c.token}` } : {})
    },
    body: truncate(m.text, 4000)
  }], ctx)
}

export function headerText (s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`
}
