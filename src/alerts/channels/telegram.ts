import { json, sendHttp, truncate, under, type Provider } from './provider.js'

// Bot API sendMessage: https://core.telegram.org/bots/api#sendmessage (text 1-4096 characters);
// a 429's body carries parameters.retry_after: https://core.telegram.org/bots/api#responseparameters
export interface TelegramSettings { api: URL, token: string, chatId: string, parseMode: string | undefined }

export const telegram: Provider<TelegramSettings> = {
  parse: (r) => ({
    api: r.url('api_url', 'https://api.telegram.org'),
    token: r.secret('bot_token', true),
    chatId: r.string('chat_id', true),
    parseMode: r.string('parse_mode')
  }),
  target: (c) => c.api.host,
  send: async (m, c, ctx) => await sendHttp([{
    url: under(c.api, `/bot${c.token}/sendMessage`),
    ...json({ chat_id: c.chatId, text: truncate(m.text, 4096), ...(c.parseMode !== undefined ? { parse_mode: c.parseMode } : {}) })
  }], ctx, { retryAfterFromBody: telegramRetryAfter })
}

export function telegramRetryAfter (body: string): number | null {
  try {
    const s = JSON.parse(body)?.parameters?.retry_after
    return typeof s === 'number' && s >= 0 ? s * 1000 : null
  } catch {
    return null
  }
}
