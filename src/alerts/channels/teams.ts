import { json, sendHttp, truncate, type Provider } from './provider.js'

// A Teams Workflows webhook ("When a Teams webhook request is received") posting an Adaptive Card:
// https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#send-adaptive-cards-using-an-incoming-webhook
// https://adaptivecards.io/explorer/TextBlock.html . The whole URL holds its signature: a secret.
export interface TeamsSettings { url: URL }

const COLOR = { critical: 'attention', warning: 'warning', info: 'good' } as const

export const teams: Provider<TeamsSettings> = {
  parse: (r) => {
    const url = r.url('url')
    r.secrets.push(url.href)
    return { url }
  },
  target: (c) => c.url.host,
  send: async (m, c, ctx) => await sendHttp([{ url: c.url, ...json(teamsCard(m.title, m.lines.length > 1 ? m.lines : [], m.text, m.resolved ? 'good' : COLOR[m.severity])) }], ctx)
}

export function teamsCard (title: string, lines: string[], text: string, color: string) {
  const body: unknown[] = [{ type: 'TextBlock', text: truncate(title, 500), weight: 'Bolder', size: 'Medium', wrap: true, color }]
  if (lines.length > 0) for (const l of lines.slice(0, 20)) body.push({ type: 'TextBlock', text: truncate(l, 1000), wrap: true, spacing: 'Small' })
  else if (text !== title) body.push({ type: 'TextBlock', text: truncate(text, 4000), wrap: true })
  return {
    type: 'message',
    attachments: [{
      contentType: 'application/vnd.microsoft.card.adaptive',
      contentUrl: null,
      content: { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body }
    }]
  }
}
