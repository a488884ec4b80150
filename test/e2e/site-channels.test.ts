import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { build, createMysqlInventory, tempDir, waitFor, MYSQL_SOCKET, NETNS_SKIP } from '../helper.js'
import { startChannelReceivers } from '../alerts/channel-receivers.js'
import { all, blockBetweenCycles, nftBlocker, waitForStates } from './device-blocking.js'

// Issue 15: "A location of 50 devices going down inside the private namespace: each channel gets one
// message." The whole service: a MariaDB inventory (50 devices in location 3, four in a healthy
// location 1), real pings in the private namespace, channels of every kind that needs no gateway
// account (webhook, telegram, ntfy, teams, pagerduty, e-mail) against real local receivers and a
// real SMTP server. The 50 stop answering through this test's own nft table over 127.0.83.0/24 (a
// range no other test uses): each channel gets ONE site_down message naming the location ("50 of
// 50") and no per-device message; when they answer again, ONE site_up message each. PagerDuty sends
// one event per dedup key by design; a site is one key (mpm-location-<id>), so it is one event too.

const ip = (id: number) => `127.0.83.${id}`
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i)

const SITE = 3 // devices 1-50, they go down
const HEALTHY = 1 // devices 51-54, stay up
const DOWN_IDS = range(1, 50)
const IDS = range(1, 54)
const SECRETS = { MPM_E2E_SC_TG: '4242:SECRET-site-tg', MPM_E2E_SC_PD: 'SECRET-site-pd', MPM_E2E_SC_SMTP: 'SECRET-site-smtp' }

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

t.test('a location of 50 devices goes down and comes back: one message per channel each time', { skip: NETNS_SKIP }, async (t) => {
  const blocker = nftBlocker(t, 'mpm_sitech')
  for (const [k, v] of Object.entries(SECRETS)) process.env[k] = v
  t.teardown(() => { for (const k of Object.keys(SECRETS)) delete process.env[k] })

  const { database } = await createMysqlInventory(t, IDS.map((id) => ({ id, ip: ip(id), hostname: `ap-${id}`, kondisi: 'baik', id_lokasi: id <= 50 ? SITE : HEALTHY })))

  const { rx, mails, smtpPort } = await startChannelReceivers(t, SECRETS.MPM_E2E_SC_SMTP)

  // batch_s: 1 on every channel, so that a site's devices changing over two cycles would still be one
  // message; site detection should make it one item anyway
  const file = join(tempDir(t, 'mpm-site-channels-'), 'channels.yml')
  writeFileSync(file, `
channels:
  - { name: hook, type: webhook, url: "${rx.url('/hook')}", batch_s: 1 }
  - { name: tg, type: telegram, bot_token: "\${MPM_E2E_SC_TG}", chat_id: "-100", api_url: "${rx.url('')}", batch_s: 1 }
  - { name: push, type: ntfy, topic: noc, api_url: "${rx.url('')}", batch_s: 1 }
  - { name: teams, type: teams, url: "${rx.url('/teams')}", batch_s: 1 }
  - { name: oncall, type: pagerduty, routing_key: "\${MPM_E2E_SC_PD}", api_url: "${rx.url('')}", batch_s: 1 }
  - { name: mail, type: email, smtp_url: "smtp://monitor:\${MPM_E2E_SC_SMTP}@127.0.0.1:${smtpPort}", from: m@example.org, to: noc@example.org, batch_s: 1 }
`)
  const b = await build(t, {
    DB_CONNECTION: 'mysql',
    DB_SOCKET: MYSQL_SOCKET,
    DB_DATABASE: database,
    DB_USERNAME: 'root',
    DB_PASSWORD: '',
    PING_INTERVAL: '0.5',
    PING_TIMEOUT: '0.5',
    DEVICE_CHECK_INTERVAL: '1',
    DOWN_AFTER_FAILURES: '2',
    UP_AFTER_SUCCESSES: '2',
    ALERT_CHANNELS_FILE: file,
    ALERT_LANGUAGE: 'en',
    ALERT_RETRY_DELAY: '0.05',
    LOG_LEVEL: 'info'
  })
  await b.app.service.start()
  await waitFor(() => !b.app.historyLoading(), 10_000, 'the read-back')
  const devices = b.app.inventory.devices()
  t.equal(devices.length, 54, 'the inventory has the 54 devices')
  t.ok(devices.filter((d) => d.device_id <= 50).every((d) => d.location.id === SITE), 'the 50 are in one location')
  const siteName = devices.find((d) => d.device_id === 1)!.location.name
  t.ok(siteName.length > 0, `the location has a name (${siteName})`)
  await waitForStates(b, all(IDS, 'up'), 'every device up', 30_000)
  await sleep(1500)
  t.equal(rx.received.length + mails.length, 0, 'first states of up are not alerted')

  const paths = (p: RegExp) => rx.received.filter((r) => p.test(r.path))
  const channels = {
    hook: () => paths(/^\/hook$/),
    tg: () => paths(/^\/bot[^/]+\/sendMessage$/),
    push: () => paths(/^\/noc$/),
    teams: () => paths(/^\/teams$/),
    oncall: () => paths(/^\/v2\/enqueue$/)
  }
  const counts = () => ({ ...Object.fromEntries(Object.entries(channels).map(([k, f]) => [k, f().length])), mail: mails.length })
  const each = (n: number) => Object.fromEntries([...Object.keys(channels), 'mail'].map((k) => [k, n]))
  const textOf = (r: { body: any }) => typeof r.body === 'string' ? r.body : JSON.stringify(r.body)

  t.test('the 50 stop answering: one site_down message per channel, no device message', async (t) => {
    await blockBetweenCycles(b, blocker, DOWN_IDS.map(ip))
    await waitForStates(b, { ...all(DOWN_IDS, 'down'), ...all(range(51, 54), 'up') }, 'the location down', 30_000)
    await waitFor(() => Object.values(counts()).every((n) => n >= 1), 15_000, 'a message on every channel')
    await sleep(3000) // several more cycles and batch windows: nothing else may arrive
    t.same(counts(), each(1), 'exactly one message per channel')

    const site = new RegExp(`\\[SITE DOWN\\] ${esc(siteName)}: 50 of 50 devices down`)
    const perDevice = /\[DOWN\] ap-/
    t.match(channels.hook()[0].body, { type: 'site_down', location: { id: SITE }, total: 50, down: 50 }, 'webhook: the site_down body')
    for (const k of ['hook', 'tg', 'push', 'teams'] as const) {
      const text = textOf(channels[k]()[0])
      t.match(text, site, `${k}: names the location, 50 of 50`)
      t.notMatch(text, perDevice, `${k}: no per-device line`)
    }
    t.match(channels.tg()[0].body, { chat_id: '-100', text: site })
    const pd = channels.oncall()
    t.match(pd[0].body, { event_action: 'trigger', dedup_key: `mpm-location-${SITE}`, payload: { summary: site, source: siteName, severity: 'critical' } }, 'pagerduty: one trigger with the location key')
    t.match(mails[0].subject, site, 'e-mail: the subject names the location')
    t.match(mails[0].text, site)
    t.notMatch(mails[0].text, perDevice)
  })

  t.test('the 50 answer again: one site_up message per channel', async (t) => {
    await blockBetweenCycles(b, blocker, [])
    await waitForStates(b, all(IDS, 'up'), 'the location back', 30_000)
    await waitFor(() => Object.values(counts()).every((n) => n >= 2), 15_000, 'a second message on every channel')
    await sleep(3000)
    t.same(counts(), each(2), 'exactly one more message per channel')
    const back = new RegExp(`\\[SITE UP\\] ${esc(siteName)} is back`)
    t.match(channels.hook()[1].body, { type: 'site_up', location: { id: SITE }, down: 0 })
    for (const k of ['hook', 'tg', 'push', 'teams'] as const) {
      const text = textOf(channels[k]()[1])
      t.match(text, back, `${k}: site up`)
      t.notMatch(text, /\[UP\] ap-/, `${k}: no per-device line`)
    }
    t.same(channels.oncall()[1].body, { routing_key: SECRETS.MPM_E2E_SC_PD, event_action: 'resolve', dedup_key: `mpm-location-${SITE}` }, 'pagerduty: the same key resolved')
    t.match(mails[1].subject, back)

    const h = (await b.app.inject('/api/health')).json().alerts.channels
    for (const c of h) t.match(c, { sent: 2, failed: 0, queue_length: 0 }, `${c.name as string}: health counts two messages`)
    const everything = [JSON.stringify(h), ...b.logs.raw].join('\n')
    for (const v of [SECRETS.MPM_E2E_SC_TG, SECRETS.MPM_E2E_SC_SMTP]) t.notOk(everything.includes(v), 'no secret in health or the log')
  })
})
