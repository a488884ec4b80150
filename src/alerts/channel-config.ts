import { readFileSync } from 'node:fs'
import YAML from 'yaml'
import { ConfigError } from '../config/load-config.js'
import { checkTemplate, type AlertLanguage } from './channel-message.js'
import { ChannelReader } from './channel-reader.js'
import { email } from './channels/email.js'
import { fonnte } from './channels/fonnte.js'
import { ntfy } from './channels/ntfy.js'
import { pagerduty } from './channels/pagerduty.js'
import type { Provider } from './channels/provider.js'
import { teams } from './channels/teams.js'
import { telegram } from './channels/telegram.js'
import { wablas } from './channels/wablas.js'
import { webhook } from './channels/webhook.js'
import { whatsappCloud } from './channels/whatsapp-cloud.js'
import type { NoticeEvent } from './notice.js'

export const PROVIDERS: Record<string, Provider<any>> = {
  webhook, telegram, fonnte, wablas, whatsapp_cloud: whatsappCloud, email, teams, ntfy, pagerduty
}

export const ALL_EVENTS: readonly NoticeEvent[] = ['down', 'up', 'flapping', 'site_down', 'site_up', 'maintenance_overdue', 'report', 'test']
/** what a channel gets unless it lists its events ("test" only through the test route) */
const DEFAULT_EVENTS: readonly NoticeEvent[] = ALL_EVENTS.filter((e) => e !== 'test')

/** One channel of ALERT_CHANNELS_FILE, checked, its ${ENV} references resolved. */
export interface ChannelSpec {
  name: string
  type: string
  events: ReadonlySet<NoticeEvent>
  /** id_lokasi / jenis_barang_id filters; null = every one */
  locations: ReadonlySet<number> | null
  types: ReadonlySet<number> | null
  template: string | undefined
  minIntervalS: number
  batchS: number
  provider: Provider<any>
  settings: any
  /** host[:port] the channel sends to */
  target: string
  /** every value taken from the environment, and each credential: redacted wherever it could appear */
  secrets: string[]
}

const BASE_KEYS = ['name', 'type', 'events', 'locations', 'types', 'template', 'min_interval_s', 'batch_s']

function ids (r: ChannelReader, key: string): ReadonlySet<number> | null {
  const list = r.list(key)
  if (list === undefined) return null
  const out = list.map((s) => Number(s))
  if (out.some((n) => !Number.isInteger(n) || n < 0)) r.fail(`${key} must be a list of ids (whole numbers)`)
  return new Set(out)
}

/** Checks one channel entry; `index` names it when it has no usable name. */
export function parseChannel (raw: unknown, index: number, env: NodeJS.ProcessEnv, language: AlertLanguage): ChannelSpec {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('ALERT_CHANNELS_FILE', undefined, { problem: `channel ${index + 1} is not a map of settings` })
  const obj = raw as Record<string, unknown>
  const name = typeof obj.name === 'string' ? obj.name.trim() : ''
  const label = name === '' ? `${index + 1}` : JSON.stringify(name.slice(0, 64))
  const r = new ChannelReader(label, obj, env)
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) r.fail('name must be 1 to 64 letters, digits, ".", "-" or "_"')
  if (/^webhook-\d+$/.test(name)) r.fail('names webhook-1, webhook-2, ... are those of ALERT_WEBHOOK_URLS')
  const type = typeof obj.type === 'string' ? obj.type : r.fail('type is missing')
  const provider = PROVIDERS[type] ?? r.fail(`unknown type "${type}" (one of ${Object.keys(PROVIDERS).join(', ')})`)
  const events = r.list('events') ?? [...DEFAULT_EVENTS]
  for (const e of events) if (!(ALL_EVENTS as readonly string[]).includes(e)) r.fail(`unknown event "${e}" in events (one of ${ALL_EVENTS.join(', ')})`)
  const template = r.string('template')
  const bad = template === undefined ? null : checkTemplate(template)
  if (bad !== null) r.fail(`template: ${bad}`)
  const settings = provider.parse(r, language)
  for (const k of Object.keys(obj)) {
    if (!BASE_KEYS.includes(k) && !r.used.has(k)) r.fail(`unknown setting "${k}" for type ${type}`)
  }
  return {
    name,
    type,
    events: new Set(events as NoticeEvent[]),
    locations: ids(r, 'locations'),
    types: ids(r, 'types'),
    template,
    minIntervalS: r.number('min_interval_s', provider.defaultMinIntervalS ?? 0, 0, 86400),
    batchS: r.number('batch_s', 0, 0, 3600),
    provider,
    settings,
    target: provider.target(settings),
    secrets: [...new Set(r.secrets)].filter((s) => s !== '')
  }
}

/** Parses the text of ALERT_CHANNELS_FILE (YAML, of which JSON is a part): `channels: [...]`. */
export function parseChannelsText (text: string, env: NodeJS.ProcessEnv, language: AlertLanguage): ChannelSpec[] {
  let doc: any
  try {
    doc = YAML.parse(text)
  } catch (err: any) {
    const pos = err?.linePos?.[0]
    throw new ConfigError('ALERT_CHANNELS_FILE', undefined, { problem: `not valid YAML or JSON${pos === undefined ? '' : ` (line ${pos.line}, column ${pos.col})`}` })
  }
  const list = doc?.channels
  if (!Array.isArray(list)) throw new ConfigError('ALERT_CHANNELS_FILE', undefined, { problem: 'expected a list under "channels:"' })
  const out = list.map((c, i) => parseChannel(c, i, env, language))
  const seen = new Set<string>()
  for (const c of out) {
    if (seen.has(c.name)) throw new ConfigError('ALERT_CHANNELS_FILE', undefined, { problem: `channel "${c.name}": the name is used twice` })
    seen.add(c.name)
  }
  return out
}

/** Reads and checks ALERT_CHANNELS_FILE; an empty setting is no channels. */
export function loadChannels (file: string | undefined, env: NodeJS.ProcessEnv, language: AlertLanguage): ChannelSpec[] {
  if (file === undefined || file === '') return []
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err: any) {
    throw new ConfigError('ALERT_CHANNELS_FILE', file, { problem: `cannot be read (${String(err?.code ?? 'error')})` })
  }
  return parseChannelsText(text, env, language)
}
