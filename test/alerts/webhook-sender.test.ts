import t from 'tap'
import { retryAfter, WebhookSender, type WebhookSenderOptions } from '../../src/alerts/webhook-sender.js'
import { waitFor, type TestContext } from '../helper.js'
import { closedPort, WebhookReceiver } from './webhook-receiver.js'

// Real HTTP receivers on 127.0.0.1; short delays so that retries happen within the test.

function sender (t: TestContext, urls: string[], over: Partial<WebhookSenderOptions> = {}) {
  const lines: Array<{ level: string, o: any, msg: string }> = []
  const log = Object.fromEntries(['info', 'warn', 'error', 'debug'].map((level) => [level, (o: object, msg?: string) => { lines.push({ level, o, msg: String(msg) }) }])) as any
  const s = new WebhookSender({ urls: urls.map((u) => new URL(u)), timeoutMs: 1000, queueMax: 100, retries: 3, retryDelayMs: 20, log, ...over })
  t.teardown(() => s.close(0))
  return { s, lines }
}

t.test('delivers each message as a JSON POST, in order', async (t) => {
  const rx = await WebhookReceiver.start(t)
  const { s } = sender(t, [rx.url('/hooks/T000/B000/secret')], { userAgent: 'multi-ping-monitor/test' })
  for (let i = 1; i <= 5; i++) s.send({ n: i })
  await rx.waitForReceived(5)
  await s.idle()
  t.same(rx.received.map((r) => r.body.n), [1, 2, 3, 4, 5])
  t.equal(rx.received[0].path, '/hooks/T000/B000/secret')
  t.match(rx.received[0].headers, { 'content-type': 'application/json', 'user-agent': 'multi-ping-monitor/test' })
  t.match(s.status(), { sent: 5, failed: 0, retries: 0, dropped: 0, queue_length: 0, last_error: null })
  t.match(s.status().receivers, [{ host: `127.0.0.1:${rx.port}`, sent: 5, failing: false, last_sent_at: String }])
})

t.test('a receiver that answers 500 a few times: retried with growing delays until it works', async (t) => {
  const rx = await WebhookReceiver.start(t, (req, res) => { res.writeHead(req.n <= 2 ? 500 : 204).end() })
  const times: number[] = []
  const prev = rx.answer
  rx.answer = (req, res) => { times.push(req.at); prev(req, res) }
  const { s } = sender(t, [rx.url()], { retryDelayMs: 100 })
  s.send({ hello: 1 })
  await rx.waitForReceived(1)
  await s.idle()
  t.equal(rx.attempts, 3)
  t.ok(times[1] - times[0] >= 90, `first retry after ~100 ms (${times[1] - times[0]})`)
  t.ok(times[2] - times[1] >= 190, `second retry after ~200 ms (${times[2] - times[1]})`)
  t.match(s.status(), { sent: 1, failed: 0, retries: 2, last_error: /HTTP 500$/ })
  t.equal(s.status().receivers[0].failing, false)
})

t.test('a receiver that always answers 500: given up after the retries, counted, failing until one gets through', async (t) => {
  let healthy = false
  const rx = await WebhookReceiver.start(t, (_req, res) => { res.writeHead(healthy ? 200 : 500).end() })
  const { s, lines } = sender(t, [rx.url('/token-abc')], { retries: 2 })
  s.send({ a: 1 })
  await s.idle()
  t.equal(rx.attempts, 3, 'first attempt and two retries')
  t.match(s.status(), { sent: 0, failed: 1, retries: 2, last_error: `127.0.0.1:${rx.port}: HTTP 500`, last_error_at: String })
  t.match(s.status().receivers[0], { failing: true, failing_since: String, last_error: 'HTTP 500' })
  t.match(lines.find((l) => l.level === 'warn'), { o: { host: `127.0.0.1:${rx.port}`, err: 'HTTP 500', attempts: 3 }, msg: /given up/ })
  healthy = true
  s.send({ a: 2 })
  await s.idle()
  t.match(s.status().receivers[0], { failing: false, failing_since: null, sent: 1, failed: 1 })
  t.ok(lines.some((l) => l.msg === 'alert webhook works again'))
  t.notOk(JSON.stringify(lines).includes('token-abc'), 'the URL path is never logged')
})

t.test('an answer like 404 (wrong token) or a redirect is not retried', async (t) => {
  const rx = await WebhookReceiver.start(t, (req, res) => { res.writeHead(req.n === 1 ? 404 : 302, { location: 'http://127.0.0.1:1/' }).end() })
  const { s } = sender(t, [rx.url()])
  s.send({ a: 1 })
  s.send({ a: 2 })
  await s.idle()
  t.equal(rx.attempts, 2)
  t.match(s.status(), { failed: 2, retries: 0, last_error: /HTTP 302$/ })
})

t.test('a slow receiver: each attempt is cut at the timeout, and send never waits', async (t) => {
  const rx = await WebhookReceiver.start(t, () => { /* never answers */ })
  const { s } = sender(t, [rx.url()], { timeoutMs: 200, retries: 1, queueMax: 1000 })
  const started = process.hrtime.bigint()
  for (let i = 0; i < 500; i++) s.send({ i })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  t.ok(ms < 200, `500 sends returned in ${ms.toFixed(1)} ms`)
  t.equal(s.status().queue_length, 500)
  await waitFor(() => s.status().failed >= 1, 5000, 'first message given up')
  t.match(s.status(), { retries: 1, last_error: /no answer within 200 ms$/ })
  t.ok(rx.attempts >= 2, 'the attempt and its retry reached the receiver')
})

t.test('a receiver that is down: connection refused, retried, given up', async (t) => {
  const port = await closedPort()
  const { s } = sender(t, [`http://127.0.0.1:${port}/x`], { retries: 2 })
  s.send({ a: 1 })
  await s.idle()
  t.match(s.status(), { sent: 0, failed: 1, retries: 2, last_error: `127.0.0.1:${port}: connection failed (ECONNREFUSED)` })
})

t.test('a full queue drops the oldest waiting alert and counts it', async (t) => {
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  const rx = await WebhookReceiver.start(t, (_req, res) => { gate.then(() => res.writeHead(200).end(), () => {}) })
  const { s, lines } = sender(t, [rx.url()], { queueMax: 3 })
  for (let i = 1; i <= 10; i++) s.send({ i })
  t.match(s.status(), { dropped: 6, queue_length: 4 }, 'one in flight, three waiting')
  t.equal(lines.filter((l) => /queue full/.test(l.msg)).length, 1, 'one log line, not one per drop')
  release()
  await rx.waitForReceived(4)
  await s.idle()
  t.same(rx.received.map((r) => r.body.i), [1, 8, 9, 10])
  t.match(s.status(), { sent: 4, dropped: 6, queue_length: 0 })
})

t.test('a receiver that is down holds up nobody else', async (t) => {
  const good = await WebhookReceiver.start(t)
  const slow = await WebhookReceiver.start(t, () => {})
  const { s } = sender(t, [slow.url(), good.url()], { timeoutMs: 2000 })
  s.send({ a: 1 })
  s.send({ a: 2 })
  const started = Date.now()
  await good.waitForReceived(2, 1500)
  t.ok(Date.now() - started < 1500)
  t.equal(s.status().receivers[0].queue_length, 2, 'the slow one still has both')
})

t.test('429 with Retry-After: the wait honours it, up to the cap', async (t) => {
  const rx = await WebhookReceiver.start(t, (req, res) => { res.writeHead(req.n === 1 ? 429 : 200, { 'retry-after': '30' }).end() })
  const times: number[] = []
  const prev = rx.answer
  rx.answer = (req, res) => { times.push(req.at); prev(req, res) }
  const { s } = sender(t, [rx.url()], { retryDelayMs: 10, maxRetryDelayMs: 300 })
  s.send({ a: 1 })
  await rx.waitForReceived(1)
  const gap = times[1] - times[0]
  t.ok(gap >= 280 && gap < 5000, `waited ${gap} ms: more than the 10 ms backoff, capped at 300 ms`)
  t.equal(retryAfter('120', 0), 120_000)
  t.equal(retryAfter(new Date(10_000).toUTCString(), 4_000), 6_000)
  t.equal(retryAfter('soon', 0), null)
  t.equal(retryAfter(null, 0), null)
})

t.test('close: waiting alerts get a short grace, then requests in flight are cut', async (t) => {
  const rx = await WebhookReceiver.start(t, () => {})
  const { s } = sender(t, [rx.url()], { timeoutMs: 10_000 })
  s.send({ a: 1 })
  s.send({ a: 2 })
  await waitFor(() => rx.attempts === 1, 5000, 'first attempt')
  const started = Date.now()
  const left = await s.close(200)
  t.ok(Date.now() - started < 2000, 'bounded')
  t.equal(left, 1, 'the waiting one was not sent')
  t.match(s.status(), { sent: 0, failed: 1, dropped: 1, queue_length: 0 })
  s.send({ a: 3 })
  t.equal(s.status().dropped, 2, 'nothing is queued after close')
})
