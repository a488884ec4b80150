import t from 'tap'
import { BATCH_EVENTS_MAX, buildNoticePayload, buildPayload, formatDuration, isAlertable, noticeText, planMessages } from '../../src/alerts/alert-message.js'
import { AT, ev } from './channel-fixtures.js'
import { formatLocalIso } from '../../src/lib/local-time.js'

t.test('which changes alert: all but a first state of up', async (t) => {
  t.equal(isAlertable(ev(1, 'unknown', 'up')), false)
  t.equal(isAlertable(ev(1, 'unknown', 'down')), true, 'a device down from the start is news')
  for (const [from, to] of [['up', 'down'], ['down', 'up'], ['up', 'flapping'], ['flapping', 'up'], ['flapping', 'down']] as const) t.equal(isAlertable(ev(1, from, to)), true, `${from}>${to}`)
})

t.test('batching: one message each up to ALERT_BATCH_MIN changes, one message above it', async (t) => {
  const five = [1, 2, 3, 4, 5].map((i) => ev(i, 'up', 'down'))
  t.same(planMessages(five, 5).map((m) => m.kind), ['single', 'single', 'single', 'single', 'single'])
  const six = [...five, ev(6, 'up', 'down')]
  const batch = planMessages(six, 5)
  t.equal(batch.length, 1)
  t.match(batch[0], { kind: 'batch', events: { length: 6 } })
  t.same(planMessages([ev(1, 'unknown', 'up'), ev(2, 'unknown', 'up')], 0), [], 'first states of up are not counted or sent')
  t.same(planMessages([...[1, 2, 3, 4, 5, 6].map((i) => ev(i, 'unknown', 'up')), ev(7, 'up', 'down')], 5).map((m) => m.kind), ['single'], 'only alertable changes count towards the batch')
  t.equal(planMessages([ev(1, 'up', 'down')], 0)[0].kind, 'batch', 'ALERT_BATCH_MIN=0: always one message per cycle')
})

t.test('json: the fields of one change and a human text', async (t) => {
  const p = buildPayload({ kind: 'single', event: ev(3, 'up', 'down') }, 'json')
  t.same(p, {
    type: 'state_change',
    device_id: 3,
    ip: '10.0.0.3',
    hostname: 'sw-3',
    from: 'up',
    to: 'down',
    at: formatLocalIso(AT),
    consecutive_failures: 3,
    last_error: 'No response (timeout)',
    down_since: formatLocalIso(AT - 2000),
    reason: '3 failed pings in a row; last error: No response (timeout)',
    text: `[DOWN] sw-3 (10.0.0.3) is down since ${formatLocalIso(AT - 2000)}: 3 failed pings in a row (No response (timeout))`
  })
  const up = buildPayload({ kind: 'single', event: ev(3, 'down', 'up', { down_since: AT - 312_000 }) }, 'json')
  t.equal(up.text, `[UP] sw-3 (10.0.0.3) is up again after 5m 12s down (${formatLocalIso(AT)})`)
  t.equal(up.down_since, formatLocalIso(AT - 312_000))
  const flap = buildPayload({ kind: 'single', event: ev(3, 'up', 'flapping', { reason: '4 up/down changes in the last 20 results' }) }, 'json')
  t.match(flap.text, /^\[FLAPPING\] sw-3 \(10\.0\.0\.3\) is flapping: 4 up\/down changes in the last 20 results; no further alerts/)
  t.match(buildPayload({ kind: 'single', event: ev(3, 'flapping', 'up') }, 'json').text, /^\[UP\] sw-3 \(10\.0\.0\.3\) stopped flapping and is up/)
  t.match(buildPayload({ kind: 'single', event: ev(3, 'unknown', 'down', { hostname: '10.0.0.3' }) }, 'json').text, /^\[DOWN\] 10\.0\.0\.3 is down/, 'no hostname: the address alone')
})

t.test('json batch: count, summary text grouped by new state, events listed up to a bound', async (t) => {
  const events = [...Array.from({ length: 12 }, (_, i) => ev(i + 1, 'up', 'down')), ev(50, 'down', 'up')]
  const p = buildPayload({ kind: 'batch', events }, 'json') as any
  t.match(p, { type: 'state_changes', at: formatLocalIso(AT), count: 13, omitted: 0 })
  t.equal(p.events.length, 13)
  t.match(p.events[0], { device_id: 1, ip: '10.0.0.1', from: 'up', to: 'down', consecutive_failures: 3 })
  t.equal(p.text, `[13 devices changed state] 12 down: ${Array.from({ length: 10 }, (_, i) => `sw-${i + 1} (10.0.0.${i + 1})`).join(', ')} and 2 more; 1 up: sw-50 (10.0.0.50) (${formatLocalIso(AT)})`)
  const many = Array.from({ length: BATCH_EVENTS_MAX + 7 }, (_, i) => ev(i, 'up', 'down'))
  const big = buildPayload({ kind: 'batch', events: many }, 'json') as any
  t.equal(big.count, BATCH_EVENTS_MAX + 7)
  t.equal(big.events.length, BATCH_EVENTS_MAX)
  t.equal(big.omitted, 7)
})

t.test('slack: {text}, markup escaped, bounded', async (t) => {
  const p = buildPayload({ kind: 'single', event: ev(1, 'up', 'down', { hostname: '<!channel> & co' }) }, 'slack')
  t.same(Object.keys(p), ['text'])
  t.match(p.text, /^\[DOWN\] &lt;!channel&gt; &amp; co \(10\.0\.0\.1\) is down/)
  const many = Array.from({ length: 2000 }, (_, i) => ev(i, 'up', 'down', { hostname: 'x'.repeat(200) }))
  t.ok((buildPayload({ kind: 'batch', events: many }, 'slack').text as string).length <= 3000)
})

t.test('discord: {content} within 2000 characters, no mentions', async (t) => {
  const p = buildPayload({ kind: 'single', event: ev(1, 'down', 'up', { hostname: '@everyone' }) }, 'discord')
  t.same(Object.keys(p).sort(), ['allowed_mentions', 'content'])
  t.same(p.allowed_mentions, { parse: [] })
  t.match(p.content, /^\[UP\] @everyone \(10\.0\.0\.1\) is up/)
  const long = buildPayload({ kind: 'single', event: ev(1, 'up', 'down', { last_error: 'e'.repeat(5000) }) }, 'discord')
  t.equal((long.content as string).length, 2000)
  t.ok((long.content as string).endsWith('…'))
})

t.test('durations', async (t) => {
  t.equal(formatDuration(0), '0s')
  t.equal(formatDuration(40_400), '40s')
  t.equal(formatDuration(312_000), '5m 12s')
  t.equal(formatDuration(3 * 3_600_000 + 5 * 60_000 + 9000), '3h 5m')
  t.equal(formatDuration(2 * 86_400_000 + 3_600_000), '2d 1h')
})

t.test('notices: site, overdue, report and test texts and bodies', async (t) => {
  const at = Date.parse('2026-12-02T08:00:00Z')
  const loc = { id: 2, name: 'Gedung B' }
  const devs = Array.from({ length: 12 }, (_, i) => ({ device_id: i + 1, ip_address: `127.0.0.${i + 1}`, hostname: i === 0 ? '127.0.0.1' : `pc-${i + 1}` }))
  const down = noticeText({ event: 'site_down', at, location: loc, total: 20, down: 18, devices: devs, down_since: null })
  t.match(down, /^\[SITE DOWN\] Gedung B down: 18 of 20 devices .*: 127\.0\.0\.1, pc-2 \(127\.0\.0\.2\),.* and 2 more$/)
  t.match(noticeText({ event: 'site_up', at, location: loc, total: 20, down: 1, devices: devs.slice(1, 2), down_since: at - 300_000 }), /^\[SITE UP\] Gedung B is back after 5m 0s .*; still down: pc-2 \(127\.0\.0\.2\)$/)
  t.notMatch(noticeText({ event: 'site_up', at, location: loc, total: 20, down: 0, devices: [], down_since: null }), /still down|after/)
  t.match(noticeText({ event: 'maintenance_overdue', at, devices: [{ ...devs[1], location: loc, until: '2026-11-30' }] }), /1 device\(s\) .*pc-2 \(127\.0\.0\.2\) at Gedung B \(until 2026-11-30\)/)
  t.equal(noticeText({ event: 'report', at, title: 'Shift report', text: 'all well', figures: {} }), 'Shift report\nall well')
  t.match(noticeText({ event: 'test', at, text: 'hello' }), /^\[TEST\] hello \(/)
  const json = buildNoticePayload({ event: 'report', at, title: 'R', text: 'x', figures: { up: 3 } }, 'json')
  t.match(json, { type: 'report', figures: { up: 3 }, text: 'R\nx' })
  t.match(buildNoticePayload({ event: 'test', at, text: '<!channel>' }, 'slack'), { text: /&lt;!channel&gt;/ })
  t.same(buildNoticePayload({ event: 'test', at, text: 'x' }, 'discord').allowed_mentions, { parse: [] })
})
