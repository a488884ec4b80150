import Mustache from 'mustache'
import type { Device } from '../inventory/filter-inventory.js'
import { formatLocalIso } from '../lib/local-time.js'
import type { StateEvent } from '../state/device-state.js'
import { formatDuration, isAlertable } from './alert-message.js'
import type { Notice, NoticeEvent } from './notice.js'

export type AlertLanguage = 'id' | 'en'
export type Severity = 'critical' | 'warning' | 'info'

/** What one channel delivers at once: every change and notice of one batch window. */
export interface Digest {
  events: StateEvent[]
  notices: Notice[]
}

/** One keyed incident (PagerDuty's dedup key: one per device or location). */
export interface IncidentKey {
  key: string
  action: 'trigger' | 'resolve'
  summary: string
  source: string
  severity: Severity
}

/** A digest rendered once per channel; each provider formats it for its API. */
export interface OutMessage {
  /** short: a subject, a card title, an ntfy title */
  title: string
  /** the whole text, plain */
  text: string
  /** one line per change or notice (the text without its header) */
  lines: string[]
  severity: Severity
  /** every item is good news (up, site_up) */
  resolved: boolean
  keys: IncidentKey[]
  digest: Digest
}

/** Default templates per language. Mustache is logic-less: the fields are prepared in code. */
export const DEFAULT_TEMPLATES: Record<AlertLanguage, Record<NoticeEvent, string> & { batch: string }> = {
  id: {
    down: '[MATI] {{name}}{{#location}} di {{location}}{{/location}} mati sejak {{since}}: {{reason}}',
    up: '[HIDUP] {{name}}{{#location}} di {{location}}{{/location}} hidup kembali{{#duration}} setelah mati {{duration}}{{/duration}} ({{at}})',
    flapping: '[TIDAK STABIL] {{name}}{{#location}} di {{location}}{{/location}} naik-turun: {{reason}} ({{at}})',
    site_down: '[LOKASI MATI] {{location}}: {{down}} dari {{total}} perangkat mati ({{at}}): {{devices}}',
    site_up: '[LOKASI HIDUP] {{location}} hidup kembali{{#duration}} setelah {{duration}}{{/duration}} ({{at}}){{#devices}}; masih mati: {{devices}}{{/devices}}',
    maintenance_overdue: '[MAINTENANCE TERLAMBAT] {{count}} perangkat melewati tanggal maintenance: {{devices}}',
    report: '{{title}}\n{{text}}',
    test: '[TES] {{text}} ({{at}})',
    batch: '[{{count}} pemberitahuan] {{summary}}'
  },
  en: {
    down: '[DOWN] {{name}}{{#location}} at {{location}}{{/location}} is down since {{since}}: {{reason}}',
    up: '[UP] {{name}}{{#location}} at {{location}}{{/location}} is up again{{#duration}} after {{duration}} down{{/duration}} ({{at}})',
    flapping: '[FLAPPING] {{name}}{{#location}} at {{location}}{{/location}} is flapping: {{reason}} ({{at}})',
    site_down: '[SITE DOWN] {{location}}: {{down}} of {{total}} devices down ({{at}}): {{devices}}',
    site_up: '[SITE UP] {{location}} is back{{#duration}} after {{duration}}{{/duration}} ({{at}}){{#devices}}; still down: {{devices}}{{/devices}}',
    maintenance_overdue: '[MAINTENANCE OVERDUE] {{count}} device(s) past their maintenance date: {{devices}}',
    report: '{{title}}\n{{text}}',
    test: '[TEST] {{text}} ({{at}})',
    batch: '[{{count}} alerts] {{summary}}'
  }
}

const WORDS: Record<AlertLanguage, Record<string, string>> = {
  id: { down: 'mati', up: 'hidup', flapping: 'tidak stabil', site_down: 'lokasi mati', site_up: 'lokasi hidup', maintenance_overdue: 'maintenance terlambat', report: 'laporan', test: 'tes', more: 'dan {n} lainnya' },
  en: { down: 'down', up: 'up', flapping: 'flapping', site_down: 'site down', site_up: 'site up', maintenance_overdue: 'maintenance overdue', report: 'report', test: 'test', more: 'and {n} more' }
}

/** most lines in one message; the rest is counted */
const LINES_MAX = 20
const NAMES_MAX = 10

export interface RenderOptions {
  language: AlertLanguage
  /** the channel's own template for each item (all kinds), instead of the defaults */
  template?: string | undefined
  deviceOf: (id: number) => Device | undefined
}

// plain text everywhere: the providers escape for their own markup (HTML e-mail)
const render = (tpl: string, view: object) => Mustache.render(tpl, view, {}, { escape: (s: string) => s })

const nameOf = (d: { hostname: string, ip_address: string }) => d.hostname === '' || d.hostname === d.ip_address ? d.ip_address : `${d.hostname} (${d.ip_address})`

function names (ds: Array<{ hostname: string, ip_address: string }>, lang: AlertLanguage): string {
  const more = ds.length > NAMES_MAX ? ' ' + WORDS[lang].more.replace('{n}', String(ds.length - NAMES_MAX)) : ''
  return ds.slice(0, NAMES_MAX).map(nameOf).join(', ') + more
}

/** The fields a template sees for one state change. */
export function eventView (e: StateEvent, device: Device | undefined) {
  const location = device === undefined || device.location.id === null ? '' : device.location.name
  return {
    event: e.to,
    state: e.to,
    from: e.from,
    device_id: e.device_id,
    hostname: e.hostname,
    ip: e.ip_address,
    name: nameOf(e),
    location,
    location_id: device?.location.id ?? null,
    rack: device?.rack ?? '',
    type: device === undefined || device.type.id === null ? '' : device.type.name,
    at: formatLocalIso(e.at),
    since: formatLocalIso(e.down_since ?? e.at),
    duration: e.to === 'up' && e.down_since !== null ? formatDuration(e.at - e.down_since) : '',
    reason: e.reason,
    consecutive_failures: e.consecutive_failures,
    last_error: e.last_error ?? ''
  }
}

/** The fields a template sees for one notice. */
export function noticeView (n: Notice, lang: AlertLanguage) {
  const at = formatLocalIso(n.at)
  switch (n.event) {
    case 'site_down':
    case 'site_up':
      return {
        event: n.event,
        at,
        location: n.location.name,
        location_id: n.location.id,
        down: n.down,
        total: n.total,
        devices: names(n.devices, lang),
        duration: n.event === 'site_up' && n.down_since !== null ? formatDuration(n.at - n.down_since) : '',
        since: n.down_since === null ? at : formatLocalIso(n.down_since)
      }
    case 'maintenance_overdue':
      return { event: n.event, at, count: n.devices.length, devices: n.devices.slice(0, NAMES_MAX).map((d) => `${nameOf(d)} @ ${d.location.name} (${d.until})`).join(', ') + (n.devices.length > NAMES_MAX ? ' ' + WORDS[lang].more.replace('{n}', String(n.devices.length - NAMES_MAX)) : '') }
    case 'report':
      return { event: n.event, at, title: n.title, text: n.text }
    case 'test':
      return { event: n.event, at, text: n.text }
  }
}

const SEVERITY: Record<string, Severity> = { down: 'critical', site_down: 'critical', flapping: 'warning', maintenance_overdue: 'warning' }
const RANK: Record<Severity, number> = { critical: 2, warning: 1, info: 0 }

/** Renders one channel's digest: each item through the template, a header line when there are several. */
export function renderDigest (d: Digest, o: RenderOptions): OutMessage {
  const t = DEFAULT_TEMPLATES[o.language]
  const events = d.events.filter(isAlertable)
  const lines: string[] = []
  const keys: IncidentKey[] = []
  const kinds: string[] = []
  for (const e of events) {
    const view = eventView(e, o.deviceOf(e.device_id))
    const line = render(o.template ?? t[e.to as NoticeEvent] ?? t.down, view)
    lines.push(line)
    kinds.push(e.to)
    keys.push({ key: `mpm-device-${e.device_id}`, action: e.to === 'up' ? 'resolve' : 'trigger', summary: line, source: view.name, severity: SEVERITY[e.to] ?? 'info' })
  }
  for (const n of d.notices) {
    const view = noticeView(n, o.language)
    const line = render(o.template ?? t[n.event], view)
    lines.push(line)
    kinds.push(n.event)
    if (n.event === 'site_down' || n.event === 'site_up') {
      keys.push({ key: `mpm-location-${n.location.id}`, action: n.event === 'site_up' ? 'resolve' : 'trigger', summary: line, source: n.location.name, severity: SEVERITY[n.event] ?? 'info' })
    } else {
      keys.push({ key: `mpm-${n.event}-${n.at}`, action: 'trigger', summary: line, source: 'multi-ping-monitor', severity: SEVERITY[n.event] ?? 'info' })
    }
  }
  let severity: Severity = 'info'
  for (const k of kinds) if (RANK[SEVERITY[k] ?? 'info'] > RANK[severity]) severity = SEVERITY[k] ?? 'info'
  const resolved = kinds.length > 0 && kinds.every((k) => k === 'up' || k === 'site_up')
  const shown = lines.length > LINES_MAX ? [...lines.slice(0, LINES_MAX), WORDS[o.language].more.replace('{n}', String(lines.length - LINES_MAX))] : lines
  if (lines.length <= 1) {
    const text = lines[0] ?? ''
    return { title: text.split('\n')[0].slice(0, 200), text, lines, severity, resolved, keys, digest: { events, notices: d.notices } }
  }
  const counts = new Map<string, number>()
  for (const k of kinds) counts.set(k, (counts.get(k) ?? 0) + 1)
  const summary = [...counts].map(([k, n]) => `${n} ${WORDS[o.language][k] ?? k}`).join(', ')
  const title = render(t.batch, { count: lines.length, summary })
  return { title, text: [title, ...shown].join('\n'), lines, severity, resolved, keys, digest: { events, notices: d.notices } }
}

/** Checks a channel's template at start: a syntax error is a start-up error, not a lost alert. */
export function checkTemplate (tpl: string): string | null {
  try {
    Mustache.parse(tpl)
    return null
  } catch (err: any) {
    return String(err?.message ?? 'unreadable').split('\n')[0]
  }
}
