import t from 'tap'
import { parseChannelsText } from '../../src/alerts/channel-config.js'
import { ev, alertsFrom } from './channel-fixtures.js'
import { WebhookReceiver } from './webhook-receiver.js'

// Every channel type against a real HTTP server on 127.0.0.1 that records the request: method, path,
// headers and body as the provider documents them (links beside each case and in src/alerts/channels/).

const TOKEN = '123456:SECRET-TG-token'

t.test('telegram: Bot API sendMessage; a 429 waits parameters.retry_after', async (t) => {
  // https://core.telegram.org/bots/api#sendmessage , https://core.telegram.org/bots/api#responseparameters
  const times: number[] = []
  const rx = await WebhookReceiver.start(t, (req, res) => {
    times.push(req.at)
    if (req.n === 1) res.writeHead(429, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } }))
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, result: { message_id: 7 } }))
  })
  const { alerts, logs } = alertsFrom(t, `
channels:
  - name: noc-telegram
    type: telegram
    bot_token: \${TG_BOT_TOKEN}
    chat_id: "-1001234567890"
    events: [down, up]
    api_url: ${rx.url('')}
`, { TG_BOT_TOKEN: TOKEN })
  alerts.notify([ev(3, 'up', 'down')])
  await rx.waitForReceived(1, 10_000)
  await alerts.idle()
  t.equal(rx.attempts, 2)
  const gap = times[1] - times[0]
  t.ok(gap >= 950, `retried after retry_after = 1 s, not the 20 ms backoff (${gap} ms)`)
  const [m] = rx.received
  t.equal(m.path, `/bot${TOKEN}/sendMessage`)
  t.match(m.headers, { 'content-type': 'application/json' })
  t.same(m.body, { chat_id: '-1001234567890', text: '[DOWN] sw-3 (10.0.0.3) at Gedung A is down since ' + m.body.text.split(' since ')[1] })
  t.match(m.body.text, /^\[DOWN\] sw-3 \(10\.0\.0\.3\) at Gedung A is down since \d{4}-\d\d-\d\dT[\d:.]+[+-]\d\d:\d\d: 3 failed pings in a row; last error: No response \(timeout\)$/)
  const ch = alerts.status().channels[0]
  t.match(ch, { name: 'noc-telegram', type: 'telegram', target: `127.0.0.1:${rx.port}`, sent: 1, failed: 0, retried: 1, dropped: 0, queue_length: 0, last_error: 'HTTP 429' })
  t.notMatch(JSON.stringify(alerts.status()), /SECRET/)
  t.notOk(logs.raw.some((l) => l.includes('SECRET')), 'no token in the log')
})

t.test('fonnte: POST /send, Authorization token, form fields target and message', async (t) => {
  // https://docs.fonnte.com/api-send-message/
  const rx = await WebhookReceiver.start(t, (_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":true,"detail":"success! message in queue"}') })
  const { alerts } = alertsFrom(t, `
channels:
  - name: wa-teknisi
    type: fonnte
    token: \${FONNTE_TOKEN}
    target: "081234567890"
    api_url: ${rx.url('')}
`, { FONNTE_TOKEN: 'SECRET-fonnte' }, { ALERT_LANGUAGE: 'id' })
  alerts.notify([ev(4, 'up', 'down')])
  const [m] = await rx.waitForReceived(1)
  t.equal(m.path, '/send')
  t.equal(m.headers.authorization, 'SECRET-fonnte')
  t.match(m.headers['content-type'], /^multipart\/form-data; boundary=/)
  const form = await new Response(m.body, { headers: { 'content-type': String(m.headers['content-type']) } }).formData()
  t.equal(form.get('target'), '081234567890')
  t.match(String(form.get('message')), /^\[MATI\] sw-4 \(10\.0\.0\.4\) di Gedung B mati sejak .*: 3 failed pings in a row/, 'Indonesian default text')
  await alerts.idle()
  t.match(alerts.status().channels[0], { sent: 1 })
})

t.test('fonnte answering {"status":false}: a failure, not a delivery', async (t) => {
  const rx = await WebhookReceiver.start(t, (_req, res) => { res.writeHead(200).end('{"status":false,"reason":"invalid token"}') })
  const { alerts } = alertsFrom(t, `
channels:
  - { name: wa, type: fonnte, token: "\${FONNTE_TOKEN}", target: "0812", api_url: "${rx.url('')}" }
`, { FONNTE_TOKEN: 'SECRET-fonnte' })
  const r = await alerts.test('wa')
  t.match(r, { channel: 'wa', type: 'fonnte', ok: false, error: 'refused by the gateway (status false)', answer: /invalid token/ })
})

t.test('wablas: POST /api/send-message, Authorization token.secret, form phone and message', async (t) => {
  // https://wablas.com/documentation/api (Send Message v1)
  const rx = await WebhookReceiver.start(t, (_req, res) => { res.writeHead(200).end('{"status":true,"message":"Message is pending and waiting to be processed"}') })
  const { alerts } = alertsFrom(t, `
channels:
  - name: wa-wablas
    type: wablas
    token: \${WABLAS_TOKEN}
    secret_key: \${WABLAS_SECRET}
    phone: "6281234567890"
    api_url: ${rx.url('')}
`, { WABLAS_TOKEN: 'SECRET-wablas', WABLAS_SECRET: 'SECRET-key' })
  alerts.notify([ev(5, 'down', 'up')])
  const [m] = await rx.waitForReceived(1)
  t.equal(m.path, '/api/send-message')
  t.equal(m.headers.authorization, 'SECRET-wablas.SECRET-key')
  t.equal(m.headers['content-type'], 'application/x-www-form-urlencoded')
  const form = new URLSearchParams(m.body)
  t.equal(form.get('phone'), '6281234567890')
  t.match(form.get('message'), /^\[UP\] sw-5 \(10\.0\.0\.5\) at Gedung A is up again after 2m 5s down \(/)
})

t.test('whatsapp_cloud: a template message with the text as its body parameter', async (t) => {
  // https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-message-templates
  // https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages
  const rx = await WebhookReceiver.start(t, (_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end('{"messaging_product":"whatsapp","messages":[{"id":"wamid.X"}]}') })
  const { alerts } = alertsFrom(t, `
channels:
  - name: wa-cloud
    type: whatsapp_cloud
    access_token: \${WA_TOKEN}
    phone_number_id: "106540352242922"
    to: "6281234567890"
    template_name: network_alert
    template_language: en_US
    api_url: ${rx.url('')}
`, { WA_TOKEN: 'SECRET-wa' })
  alerts.notify([ev(6, 'up', 'down')])
  const [m] = await rx.waitForReceived(1)
  t.equal(m.path, '/v21.0/106540352242922/messages')
  t.equal(m.headers.authorization, 'Bearer SECRET-wa')
  t.match(m.headers['content-type'], 'application/json')
  t.match(m.body, { messaging_product: 'whatsapp', to: '6281234567890', type: 'template', template: { name: 'network_alert', language: { code: 'en_US' } } })
  t.same(Object.keys(m.body).sort(), ['messaging_product', 'template', 'to', 'type'])
  t.equal(m.body.template.components.length, 1)
  t.equal(m.body.template.components[0].type, 'body')
  t.match(m.body.template.components[0].parameters, [{ type: 'text', text: /^\[DOWN\] sw-6 \(10\.0\.0\.6\) at Gedung B is down since / }])
  t.notMatch(m.body.template.components[0].parameters[0].text, /\n/, 'no new line in a template parameter')
})

t.test('teams: a Workflows webhook with an Adaptive Card', async (t) => {
  // https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#send-adaptive-cards-using-an-incoming-webhook
  const rx = await WebhookReceiver.start(t, (_req, res) => { res.writeHead(202).end() })
  const { alerts } = alertsFrom(t, `
channels:
  - name: teams-noc
    type: teams
    url: \${TEAMS_URL}
`, { TEAMS_URL: rx.url('/workflows/abc/triggers/manual/paths/invoke?sig=SECRET-sig') })
  alerts.notify([ev(7, 'up', 'down'), ev(8, 'up', 'down')])
  const [m] = await rx.waitForReceived(1)
  t.equal(m.path, '/workflows/abc/triggers/manual/paths/invoke?sig=SECRET-sig')
  t.match(m.headers['content-type'], 'application/json')
  t.match(m.body, { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard', version: '1.4' } }] })
  const body = m.body.attachments[0].content.body
  t.match(body[0], { type: 'TextBlock', text: '[2 alerts] 2 down', weight: 'Bolder', wrap: true, color: 'attention' })
  t.match(body.slice(1).map((b: any) => b.text), [/^\[DOWN\] sw-7 /, /^\[DOWN\] sw-8 /], 'two changes of one cycle: one card')
  await alerts.idle()
  t.notMatch(JSON.stringify(alerts.status()), /SECRET|workflows/, 'health shows the host only')
})

t.test('ntfy: POST /{topic}, text body, Title / Priority / Tags, Bearer token', async (t) => {
  // https://docs.ntfy.sh/publish/ (#message-title, #message-priority, #tags-emojis, #access-tokens)
  const rx = await WebhookReceiver.start(t)
  const { alerts } = alertsFrom(t, `
channels:
  - name: ntfy
    type: ntfy
    topic: noc-alerts
    token: \${NTFY_TOKEN}
    api_url: ${rx.url('')}
`, { NTFY_TOKEN: 'tk_SECRET' })
  alerts.notify([ev(9, 'up', 'down')])
  alerts.notify([ev(9, 'down', 'up')])
  const [down, up] = await rx.waitForReceived(2)
  t.equal(down.path, '/noc-alerts')
  t.match(down.headers, { authorization: 'Bearer tk_SECRET', priority: '5', tags: 'rotating_light', title: /^\[DOWN\] sw-9 \(10\.0\.0\.9\) at Gedung A is down since / })
  t.match(down.body, /^\[DOWN\] sw-9 /)
  t.match(up.headers, { priority: '3', tags: 'white_check_mark', title: /^\[UP\] sw-9 / })
})

t.test('pagerduty: Events API v2, trigger then resolve with the same dedup key', async (t) => {
  // https://developer.pagerduty.com/docs/events-api-v2/trigger-events/ , .../resolve-events/
  const rx = await WebhookReceiver.start(t, (_req, res) => { res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"success","message":"Event processed","dedup_key":"x"}') })
  const { alerts } = alertsFrom(t, `
channels:
  - name: oncall
    type: pagerduty
    routing_key: \${PD_ROUTING_KEY}
    api_url: ${rx.url('')}
`, { PD_ROUTING_KEY: 'R0UTINGKEYSECRET0000000000000000' })
  alerts.notify([ev(10, 'up', 'down')])
  await rx.waitForReceived(1)
  alerts.notify([ev(10, 'down', 'up')])
  alerts.send([{ event: 'site_down', at: Date.now(), location: { id: 3, name: 'Gedung A' }, total: 4, down: 4, devices: [], down_since: null }])
  const [trigger, resolve, site] = await rx.waitForReceived(3)
  for (const m of [trigger, resolve, site]) {
    t.equal(m.path, '/v2/enqueue')
    t.match(m.headers['content-type'], 'application/json')
  }
  t.same(trigger.body, { routing_key: 'R0UTINGKEYSECRET0000000000000000', event_action: 'trigger', dedup_key: 'mpm-device-10', payload: { summary: trigger.body.payload.summary, source: 'sw-10 (10.0.0.10)', severity: 'critical' } })
  t.match(trigger.body.payload.summary, /^\[DOWN\] sw-10 /)
  t.same(resolve.body, { routing_key: 'R0UTINGKEYSECRET0000000000000000', event_action: 'resolve', dedup_key: 'mpm-device-10' })
  t.match(site.body, { event_action: 'trigger', dedup_key: 'mpm-location-3', payload: { source: 'Gedung A', severity: 'critical', summary: /^\[SITE DOWN\] Gedung A: 4 of 4 devices down/ } })
})

t.test('webhook: json / slack / discord bodies, or a body template with its own headers', async (t) => {
  const rx = await WebhookReceiver.start(t)
  const { alerts } = alertsFrom(t, `
channels:
  - name: hook-json
    type: webhook
    url: ${rx.url('/json')}
  - name: hook-slack
    type: webhook
    format: slack
    url: ${rx.url('/slack')}
  - name: hook-custom
    type: webhook
    url: ${rx.url('/custom')}
    headers:
      X-Api-Key: \${HOOK_KEY}
    body_template: '{"msg": "{{text}}", "n": {{count}}, "sev": "{{severity}}"}'
`, { HOOK_KEY: 'SECRET-hook' })
  alerts.notify([ev(11, 'up', 'down', { hostname: 'sw "quoted" <b>' })])
  await rx.waitForReceived(3)
  const by = (p: string) => rx.received.find((r) => r.path === p)
  t.match(by('/json')?.body, { type: 'state_change', device_id: 11, from: 'up', to: 'down', text: /^\[DOWN\] sw "quoted" <b> \(10\.0\.0\.11\) at Gedung A is down/ })
  t.match(by('/slack')?.body, { text: /^\[DOWN\] sw "quoted" &lt;b&gt; / })
  t.equal(by('/custom')?.headers['x-api-key'], 'SECRET-hook')
  t.match(by('/custom')?.body, { msg: /^\[DOWN\] sw "quoted" <b> /, n: 1, sev: 'critical' }, 'a JSON body template escapes the values for JSON')
})

t.test('filters and templates: events, locations, types; a custom mustache template sees the device fields', async (t) => {
  const rx = await WebhookReceiver.start(t)
  const { alerts } = alertsFrom(t, `
channels:
  - name: gedung-a-down
    type: ntfy
    topic: a
    events: [down]
    locations: [3]
    types: [2]
    template: "{{hostname}}|{{ip}}|{{location}}|{{rack}}|{{type}}|{{state}}|{{from}}|{{reason}}"
    api_url: ${rx.url('')}
  - name: other-type
    type: ntfy
    topic: b
    types: [99]
    api_url: ${rx.url('')}
`, {})
  alerts.notify([ev(2, 'up', 'down')]) // Gedung B: filtered out
  alerts.notify([ev(1, 'down', 'up')]) // up: not in events
  alerts.notify([ev(100, 'up', 'down')]) // not in the inventory: no location
  alerts.notify([ev(13, 'up', 'down')])
  await rx.waitForReceived(1)
  await alerts.idle()
  t.equal(rx.received.length, 1)
  t.equal(rx.received[0].path, '/a')
  t.equal(rx.received[0].body, 'sw-13|10.0.0.13|Gedung A|R1|Switch|down|up|3 failed pings in a row; last error: No response (timeout)')
})

t.test('batch_s merges what comes within the window; min_interval_s spaces messages', async (t) => {
  const rx = await WebhookReceiver.start(t)
  const { alerts } = alertsFrom(t, `
channels:
  - name: batched
    type: ntfy
    topic: batched
    batch_s: 0.5
    api_url: ${rx.url('')}
  - name: spaced
    type: ntfy
    topic: spaced
    min_interval_s: 1
    api_url: ${rx.url('')}
`, {})
  const started = Date.now()
  for (let i = 1; i <= 30; i++) {
    alerts.notify([ev(i, 'up', 'down')])
    if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  await new Promise((resolve) => setTimeout(resolve, 1500))
  await alerts.idle()
  const batched = rx.received.filter((r) => r.path === '/batched')
  const spaced = rx.received.filter((r) => r.path === '/spaced')
  t.equal(batched.length, 1, 'thirty changes within batch_s: one message')
  t.match(batched[0].headers.title, '[30 alerts] 30 down')
  t.ok(batched[0].at - started >= 450, 'sent when the window closed')
  t.equal(spaced.length, 2, 'the first at once, everything after it within min_interval_s in one more')
  t.ok(spaced[1].at - spaced[0].at >= 950, `spaced ${spaced[1].at - spaced[0].at} ms`)
  t.match(spaced[1].headers.title, '[29 alerts] 29 down')
  t.match(spaced[1].body, /\nand 9 more$/, 'at most 20 lines, the rest counted')
})

t.test('WhatsApp types default to at most one message a minute per target', async (t) => {
  const specs = parseChannelsText(`
channels:
  - { name: a, type: fonnte, token: "\${T}", target: "1" }
  - { name: b, type: wablas, token: "\${T}", phone: "1", api_url: "https://solo.wablas.com" }
  - { name: c, type: whatsapp_cloud, access_token: "\${T}", phone_number_id: "1", to: "1", template_name: x }
  - { name: d, type: fonnte, token: "\${T}", target: "1", min_interval_s: 5 }
  - { name: e, type: telegram, bot_token: "\${T}", chat_id: "1" }
`, { T: 'SECRET' }, 'id')
  t.same(specs.map((s) => s.minIntervalS), [60, 60, 60, 5, 0])
  t.same(specs.map((s) => s.target), ['api.fonnte.com', 'solo.wablas.com', 'graph.facebook.com', 'api.fonnte.com', 'api.telegram.org'])
})

t.test('two WhatsApp channels to one number share its spacing', async (t) => {
  const rx = await WebhookReceiver.start(t, (_req, res) => { res.writeHead(200).end('{"status":true}') })
  const { alerts } = alertsFrom(t, `
channels:
  - { name: wa-1, type: fonnte, token: "\${T}", target: "0812", min_interval_s: 1, api_url: "${rx.url('')}" }
  - { name: wa-2, type: fonnte, token: "\${T}", target: "0812", min_interval_s: 1, api_url: "${rx.url('')}" }
  - { name: wa-other, type: fonnte, token: "\${T}", target: "0899", min_interval_s: 1, api_url: "${rx.url('')}" }
`, { T: 'SECRET' })
  alerts.notify([ev(1, 'up', 'down')])
  await rx.waitForReceived(3)
  const targets = await Promise.all(rx.received.map(async (r) => String((await new Response(r.body, { headers: { 'content-type': String(r.headers['content-type']) } }).formData()).get('target'))))
  const to0812 = rx.received.filter((_r, i) => targets[i] === '0812')
  const to0899 = rx.received.filter((_r, i) => targets[i] === '0899')
  t.equal(to0812.length, 2)
  // spaced from when each left the channel; arrival also holds the first request's own time
  t.ok(to0812[1].at - to0812[0].at >= 800, `the second channel to 0812 waited ${to0812[1].at - to0812[0].at} ms`)
  t.ok(to0899[0].at - to0812[0].at < 900, 'another number is not held up')
})
