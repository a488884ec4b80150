/* eslint-disable no-template-curly-in-string -- ${ENV} references in channel files are what these tests are about */
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseChannelsText } from '../../src/alerts/channel-config.js'
import { build, tempDir } from '../helper.js'

const ENV = { TG: 'SECRET-tg', BASE: 'not a url SECRET-base' }
const one = (body: string) => `channels:\n  - ${body}\n`
const parse = (text: string) => parseChannelsText(text, ENV, 'id')
const PREFIX = 'Invalid setting ALERT_CHANNELS_FILE: '

t.test('each mistake is one line naming the channel and the problem, never a secret', async (t) => {
  const cases: Array<[string, string]> = [
    [one('{ name: noc, type: sms }'), 'channel "noc": unknown type "sms" (one of webhook, telegram, fonnte, wablas, whatsapp_cloud, email, teams, ntfy, pagerduty)'],
    [one('{ name: noc, type: telegram, bot_token: "${TG_BOT_TOKEN}", chat_id: "1" }'), 'channel "noc": bot_token refers to ${TG_BOT_TOKEN}, which is not set in the environment'],
    [one('{ name: noc, type: telegram, bot_token: "123:abc", chat_id: "1" }'), 'channel "noc": bot_token must be a ${ENV_VARIABLE} reference, not written in the file'],
    [one('{ name: noc, type: telegram, bot_token: "${TG}" }'), 'channel "noc": chat_id is missing'],
    [one('{ name: noc, type: telegram, bot_token: "${TG}", chat_id: "1", api_url: "${BASE}" }'), 'channel "noc": api_url is not a URL'],
    [one('{ name: noc, type: ntfy, topic: a, api_url: "ftp://127.0.0.1/" }'), 'channel "noc": api_url must be a http:// or https:// URL'],
    [one('{ name: m, type: email, smtp_url: "smtp://u:hunter2@127.0.0.1", from: a@b.c, to: d@e.f }'), 'channel "m": smtp_url: the password must be a ${ENV_VARIABLE} reference, not written in the file'],
    [one('{ name: m, type: email, smtp_url: "http://127.0.0.1", from: a@b.c, to: d@e.f }'), 'channel "m": smtp_url must be a smtp:// or smtps:// URL'],
    [one('{ name: m, type: email, smtp_url: "smtp://127.0.0.1", from: a@b.c }'), 'channel "m": to is missing'],
    [one('{ name: n, type: ntfy, topic: a, chat_id: 1 }'), 'channel "n": unknown setting "chat_id" for type ntfy'],
    [one('{ name: n, type: ntfy, topic: a, events: [down, sideways] }'), 'channel "n": unknown event "sideways" in events (one of down, up, flapping, site_down, site_up, maintenance_overdue, report, test)'],
    [one('{ name: n, type: ntfy, topic: a, template: "{{#open}} never closed" }'), 'channel "n": template: Unclosed section "open" at 22'],
    [one('{ name: n, type: ntfy, topic: a, min_interval_s: -1 }'), 'channel "n": min_interval_s must be a number from 0 to 86400'],
    [one('{ name: n, type: ntfy, topic: a, locations: [x] }'), 'channel "n": locations must be a list of ids (whole numbers)'],
    [one('{ name: n, type: wablas, token: "${TG}", phone: "1" }'), 'channel "n": api_url is missing'],
    [one('{ name: "bad name!", type: ntfy, topic: a }'), 'channel "bad name!": name must be 1 to 64 letters, digits, ".", "-" or "_"'],
    [one('{ name: webhook-1, type: ntfy, topic: a }'), 'channel "webhook-1": names webhook-1, webhook-2, ... are those of ALERT_WEBHOOK_URLS'],
    ['channels:\n  - { name: a, type: ntfy, topic: a }\n  - { name: a, type: ntfy, topic: b }\n', 'channel "a": the name is used twice'],
    ['channels: [ { name: a', 'not valid YAML or JSON (line 1, column 22)'],
    ['hello: 1', 'expected a list under "channels:"']
  ]
  for (const [text, problem] of cases) {
    let msg = ''
    try { parse(text) } catch (err: any) { msg = err.message }
    t.equal(msg, PREFIX + problem, text)
    t.notMatch(msg, /SECRET|hunter2|\n/)
  }
})

t.test('the example of the issue, as YAML and as JSON: defaults filled in, ${ENV} resolved and kept as secrets', async (t) => {
  const env = { TG_BOT_TOKEN: 'SECRET-tg', FONNTE_TOKEN: 'SECRET-fonnte', SMTP_PASSWORD: 'SECRET-smtp', PD_ROUTING_KEY: 'SECRET-pd' }
  const yaml = `
channels:
  - name: noc-telegram
    type: telegram
    bot_token: \${TG_BOT_TOKEN}
    chat_id: "-1001234567890"
    events: [down, up, site_down, site_up, report]
    locations: [3, 7]            # optional filter by id_lokasi
    api_url: https://api.telegram.org
  - name: wa-teknisi
    type: fonnte
    token: \${FONNTE_TOKEN}
    target: "081234567890"
    min_interval_s: 60
    batch_s: 60
  - name: email-noc
    type: email
    smtp_url: smtp://monitor:\${SMTP_PASSWORD}@mail.example.org:587
    from: monitor@example.org
    to: [noc@example.org]
  - name: oncall
    type: pagerduty
    routing_key: \${PD_ROUTING_KEY}
`
  const specs = parseChannelsText(yaml, env, 'id')
  t.same(specs.map((s) => [s.name, s.type, s.target, s.minIntervalS, s.batchS]), [
    ['noc-telegram', 'telegram', 'api.telegram.org', 0, 0],
    ['wa-teknisi', 'fonnte', 'api.fonnte.com', 60, 60],
    ['email-noc', 'email', 'mail.example.org:587', 0, 0],
    ['oncall', 'pagerduty', 'events.pagerduty.com', 0, 0]
  ])
  t.same([...specs[0].events], ['down', 'up', 'site_down', 'site_up', 'report'])
  t.same([...(specs[0].locations ?? [])], [3, 7])
  t.same([...specs[1].events], ['down', 'up', 'flapping', 'site_down', 'site_up', 'maintenance_overdue', 'report'], 'default: everything but test')
  t.equal(specs[1].locations, null)
  for (const [i, secret] of [[0, 'SECRET-tg'], [1, 'SECRET-fonnte'], [2, 'SECRET-smtp'], [3, 'SECRET-pd']] as const) t.ok(specs[i].secrets.includes(secret), secret)
  const json = JSON.stringify({ channels: [{ name: 'noc-telegram', type: 'telegram', bot_token: '${TG_BOT_TOKEN}', chat_id: '-1001234567890' }] })
  t.match(parseChannelsText(json, env, 'en')[0], { name: 'noc-telegram', settings: { token: 'SECRET-tg', chatId: '-1001234567890' } })
})

t.test('the service refuses to start: unreadable file, a missing variable; a good file starts with the channels in health', async (t) => {
  const dir = tempDir(t, 'mpm-channels-')
  const file = join(dir, 'channels.yml')
  await t.rejects(build(t, { ALERT_CHANNELS_FILE: join(dir, 'missing.yml') }), { message: `Invalid setting ALERT_CHANNELS_FILE=${JSON.stringify(join(dir, 'missing.yml'))}: cannot be read (ENOENT)` })
  writeFileSync(file, one('{ name: noc, type: telegram, bot_token: "${MPM_TEST_UNSET_VARIABLE}", chat_id: "1" }'))
  await t.rejects(build(t, { ALERT_CHANNELS_FILE: file }), { message: PREFIX + 'channel "noc": bot_token refers to ${MPM_TEST_UNSET_VARIABLE}, which is not set in the environment' })
  await t.rejects(build(t, { ALERT_LANGUAGE: 'fr' }), { message: 'Invalid setting ALERT_LANGUAGE="fr": expected one of id, en' })
  process.env.MPM_TEST_TG_TOKEN = 'SECRET-from-env'
  t.teardown(() => { delete process.env.MPM_TEST_TG_TOKEN })
  writeFileSync(file, one('{ name: noc, type: telegram, bot_token: "${MPM_TEST_TG_TOKEN}", chat_id: "1", api_url: "http://127.0.0.1:9" }'))
  const b = await build(t, { ALERT_CHANNELS_FILE: file })
  const h = await b.app.inject('/api/health')
  t.match(h.json().alerts, { enabled: true, receivers: [], channels: [{ name: 'noc', type: 'telegram', target: '127.0.0.1:9', sent: 0, failed: 0, retried: 0, dropped: 0, queue_length: 0, pending: 0, failing: false, last_error: null }] })
  t.notMatch(h.body, /SECRET/)
  t.notOk(b.logs.raw.some((l) => l.includes('SECRET')))
})

t.test('channel secrets: redacted from free text by value, and by key when an object carrying them is logged', async (t) => {
  const { channelSecretValues, redactSecrets, LOG_REDACT_PATHS } = await import('../../src/config/secrets.js')
  const specs = parse(one('{ name: noc, type: telegram, bot_token: "${TG}", chat_id: "1" }'))
  const values = channelSecretValues(specs)
  t.same(values, ['SECRET-tg'])
  t.equal(redactSecrets(`POST /botSECRET-tg/sendMessage (${encodeURIComponent('SECRET-tg')})`, values), 'POST /bot[REDACTED]/sendMessage ([REDACTED])')
  for (const k of ['bot_token', 'token', 'access_token', 'routing_key', 'secret_key', 'smtp_url']) t.ok(LOG_REDACT_PATHS.includes(`*.${k}`), k)
})
