import t from 'tap'
import { cycleOfRows } from '../../src/monitor/cycle.js'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { build, tempDir, waitFor } from '../helper.js'
import { closedPort, WebhookReceiver } from '../alerts/webhook-receiver.js'
import { startChannelReceivers } from '../alerts/channel-receivers.js'

// The service with an ALERT_CHANNELS_FILE of every kind beside a dead channel (connection refused)
// and a slow one (answers after 10 s). 50 devices go down in one cycle, injected through the real
// pipeline (the site detection that turns a location's outage into site_down is another issue's):
// each channel gets one message, the healthy ones at once.

const SECRETS = { MPM_E2E_TG: '999:SECRET-tg', MPM_E2E_PD: 'SECRET-pd-key', MPM_E2E_SMTP: 'SECRET-smtp', MPM_E2E_HOOK: 'SECRET-hook' }

t.test('50 devices down in one cycle: one message per channel; dead and slow channels hold up nobody', async (t) => {
  for (const [k, v] of Object.entries(SECRETS)) process.env[k] = v
  t.teardown(() => { for (const k of Object.keys(SECRETS)) delete process.env[k] })
  const { rx, mails, smtpPort } = await startChannelReceivers(t, SECRETS.MPM_E2E_SMTP)
  const slow = await WebhookReceiver.start(t, (_req, res) => { setTimeout(() => { if (!res.destroyed) res.writeHead(200).end() }, 10_000) })
  const deadPort = await closedPort()

  const file = join(tempDir(t, 'mpm-channels-'), 'channels.yml')
  writeFileSync(file, `
channels:
  - { name: tg, type: telegram, bot_token: "\${MPM_E2E_TG}", chat_id: "-100", api_url: "${rx.url('')}" }
  - { name: push, type: ntfy, topic: noc, api_url: "${rx.url('')}" }
  - { name: teams, type: teams, url: "${rx.url('/teams')}" }
  - { name: oncall, type: pagerduty, routing_key: "\${MPM_E2E_PD}", api_url: "${rx.url('')}" }
  - { name: mail, type: email, smtp_url: "smtp://monitor:\${MPM_E2E_SMTP}@127.0.0.1:${smtpPort}", from: m@example.org, to: noc@example.org }
  - { name: dead, type: webhook, url: "http://127.0.0.1:${deadPort}/hook", headers: { X-Key: "\${MPM_E2E_HOOK}" } }
  - { name: slow, type: webhook, url: "${slow.url('/slow')}" }
`)
  const b = await build(t, { ALERT_CHANNELS_FILE: file, ALERT_LANGUAGE: 'en', DOWN_AFTER_FAILURES: '1', ALERT_TIMEOUT: '15', ALERT_RETRIES: '1', ALERT_RETRY_DELAY: '0.05' })

  const at = Date.now()
  const rows = Array.from({ length: 50 }, (_, i) => ({ at, row: { timestamp: new Date(at).toISOString(), device_id: i + 1, ip_address: `127.66.0.${i + 1}`, hostname: `ap-${i + 1}`, ping_success: false, response_time_ms: null, error_message: 'No response (timeout)' } }))
  const started = Date.now()
  b.app.service.pipeline.cycle(cycleOfRows(rows), { number: 1, started_at: new Date(at).toISOString(), duration_ms: 1, devices: 50, up: 0, down: 50 })
  t.ok(Date.now() - started < 1000, 'the cycle did not wait for any channel')

  // the healthy ones on time: well before the slow one's 10 s answer (had they waited behind it, or
  // behind the dead one's retries, they would arrive after it). 8 s, not less: this machine's load
  // average is often 10 times its cores, and 50 PagerDuty events plus an SMTP session take a while.
  await waitFor(() => rx.received.filter((r) => !r.path.startsWith('/v2/')).length >= 3 && rx.received.filter((r) => r.path.startsWith('/v2/')).length >= 50 && mails.length >= 1, 8000, 'healthy channels')
  t.ok(Date.now() - started < 8000, `healthy channels served in ${Date.now() - started} ms`)
  t.equal(slow.attempts, 1, 'the slow channel got its request and has not answered')
  const paths = (p: RegExp) => rx.received.filter((r) => p.test(r.path))
  t.equal(paths(/sendMessage$/).length, 1, 'telegram: one message')
  t.match(paths(/sendMessage$/)[0].body.text, /^\[50 alerts\] 50 down\n\[DOWN\] ap-1 \(127\.66\.0\.1\) is down since /)
  t.equal(paths(/^\/noc$/).length, 1, 'ntfy: one message')
  t.equal(paths(/^\/teams$/).length, 1, 'teams: one card')
  t.equal(mails.length, 1, 'e-mail: one message')
  t.equal(mails[0].subject, '[50 alerts] 50 down')
  const pd = paths(/^\/v2\/enqueue$/)
  t.equal(pd.length, 50, 'pagerduty: one event per device key (PagerDuty groups them itself)')
  t.equal(new Set(pd.map((r) => r.body.dedup_key)).size, 50)

  const h = await waitFor(async () => {
    const r = await b.app.inject('/api/health')
    return r.json().alerts.channels.find((c: any) => c.name === 'dead')?.failing === true ? r : null
  }, 5000, 'dead channel failing')
  const byName = Object.fromEntries(h.json().alerts.channels.map((c: any) => [c.name, c]))
  t.match(byName.tg, { type: 'telegram', sent: 1, failed: 0, queue_length: 0 })
  t.match(byName.dead, { type: 'webhook', target: `127.0.0.1:${deadPort}`, sent: 0, failed: 1, retried: 1, last_error: 'connection failed (ECONNREFUSED)' })
  t.match(byName.slow, { sent: 0, queue_length: 1 })
  t.equal(h.json().status, 'degraded')
  t.ok(h.json().reasons.some((r: string) => r.startsWith('alert channel dead (webhook) failing since')))

  // the test route: loopback without API_KEY; the provider's answer
  const ok = await b.app.inject({ method: 'POST', url: '/api/alerts/test?channel=tg' })
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { success: true, channel: 'tg', type: 'telegram', answer: 'HTTP 200: {"ok":true,"result":{"message_id":1}}' })
  t.match(paths(/sendMessage$/)[1].body, { chat_id: '-100', text: /^\[TEST\] Test message from multi-ping-monitor \(/ })
  const dead = await b.app.inject({ method: 'POST', url: '/api/alerts/test?channel=dead' })
  t.equal(dead.statusCode, 502)
  t.same(dead.json(), { success: false, error: 'The test message to channel dead (webhook) was not delivered: connection failed (ECONNREFUSED)' })
  const unknown = await b.app.inject({ method: 'POST', url: '/api/alerts/test?channel=nope' })
  t.equal(unknown.statusCode, 404)
  t.same(unknown.json(), { success: false, error: 'No alert channel named "nope" (channels: tg, push, teams, oncall, mail, dead, slow)' })
  t.equal((await b.app.inject({ method: 'POST', url: '/api/alerts/test' })).statusCode, 400)
  const remote = await b.app.inject({ method: 'POST', url: '/api/alerts/test?channel=tg', remoteAddress: '192.0.2.7' })
  t.equal(remote.statusCode, 403, 'not loopback and no API_KEY: refused')

  const everything = [h.body, ok.body, dead.body, unknown.body, ...b.logs.raw].join('\n')
  for (const v of Object.values(SECRETS)) t.notOk(everything.includes(v), 'no secret in health, answers or the log')
})

t.test('with API_KEY the test route needs it; ALERT_WEBHOOK_URLS receivers are channels webhook-1, ...', async (t) => {
  const rx = await WebhookReceiver.start(t)
  const b = await build(t, { API_KEY: 'k3y-k3y-k3y', ALERT_WEBHOOK_URLS: rx.url('/hooks/SECRET-path') })
  t.equal((await b.app.inject({ method: 'POST', url: '/api/alerts/test?channel=webhook-1' })).statusCode, 401)
  const r = await b.app.inject({ method: 'POST', url: '/api/alerts/test?channel=webhook-1', headers: { authorization: 'Bearer k3y-k3y-k3y' } })
  t.same(r.json(), { success: true, channel: 'webhook-1', type: 'webhook', answer: 'HTTP 200: ok' })
  t.match(rx.received[0].body, { type: 'test', text: /^\[TEST\] Pesan uji dari multi-ping-monitor/ })
  const h = (await b.app.inject('/api/health')).json().alerts
  t.match(h.channels, [{ name: 'webhook-1', type: 'webhook', target: `127.0.0.1:${rx.port}`, sent: 1 }])
  t.match(h.receivers, [{ host: `127.0.0.1:${rx.port}`, sent: 1 }])
  t.notMatch(JSON.stringify(h), /SECRET/)
})
