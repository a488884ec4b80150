import { json, sendHttp, truncate, under, type Provider } from './provider.js'

// Cloud API template messages: https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-message-templates
// POST {graph}/{version}/{phone_number_id}/messages with a Bearer token. A business may only start a
// conversation with an approved template; the alert text goes in as its one body parameter {{1}}.
export interface WhatsappCloudSettings { api: URL, version: string, phoneNumberId: string, token: string, to: string, template: string, language: string }

export const whatsappCloud: Provider<WhatsappCloudSettings> = {
  parse: (r, lang) => {
    const version = r.string('api_version') ?? 'v21.0'
    if (!/^v\d+\.\d+$/.test(version)) r.fail('api_version must look like v21.0')
    const phoneNumberId = r.string('phone_number_id', true)
    if (!/^\d+$/.test(phoneNumberId)) r.fail('phone_number_id must be digits')
    return {
      api: r.url('api_url', 'https://graph.facebook.com'),
      version,
      phoneNumberId,
      token: r.secret('access_token', true),
      to: r.string('to', true),
      template: r.string('template_name', true),
      language: r.string('template_language') ?? (lang === 'id' ? 'id' : 'en')
    }
  },
  target: (c) => c.api.host,
  defaultMinIntervalS: 60,
  spacingKey: (c) => `whatsapp:${c.to}`,
  send: async (m, c, ctx) => await sendHttp([{
    url: under(c.api, `/${c.version}/${c.phoneNumberId}/messages`),
    headers: { authorization: `Bearer ${c.token}`, ...json(null).headers },
    body: JSON.stringify({
      messaging_product: 'whatsapp',
      to: c.to,
      type: 'template',
      template: {
        name: c.template,
        language: { code: c.language },
        // a template parameter may hold neither new lines nor more than four spaces in a row
        components: [{ type: 'body', parameters: [{ type: 'text', text: truncate(m.text.replace(/\s*\n\s*/g, ' | ').replace(/ {4,}/g, '   '), 1000) }] }]
      }
    })
  }], ctx)
}
