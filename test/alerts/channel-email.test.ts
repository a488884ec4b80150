import t from 'tap'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server'
import { simpleParser, type ParsedMail } from 'mailparser'
import { alertsFrom, ev } from './channel-fixtures.js'
import { closedPort } from './webhook-receiver.js'
import { tempDir, waitFor, type TestContext } from '../helper.js'

// E-mail through a real SMTP server (smtp-server) on 127.0.0.1; each message parsed with mailparser.
// nodemailer's SMTP URL rules: https://nodemailer.com/smtp/ (smtp:// upgrades with STARTTLS when offered).

interface Got { mail: ParsedMail, session: SMTPServerSession, from: string, rcpt: string[] }

async function smtp (t: TestContext, opts: SMTPServerOptions) {
  const got: Got[] = []
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    ...opts,
    onData: (stream, session, cb) => {
      simpleParser(stream).then((mail) => {
        got.push({ mail, session, from: String(session.envelope.mailFrom && session.envelope.mailFrom.address), rcpt: session.envelope.rcptTo.map((r) => r.address) })
        cb()
      }, cb)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { got, port: (server.server.address() as AddressInfo).port }
}

const PASSWORD = 'SECRET-p@ss:w/rd'

t.test('plain SMTP without auth: subject, text, HTML, recipients', async (t) => {
  const s = await smtp(t, { authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'] })
  const { alerts } = alertsFrom(t, `
channels:
  - name: email-noc
    type: email
    smtp_url: smtp://127.0.0.1:${s.port}
    from: monitor@example.org
    to: [noc@example.org, "ops@example.org"]
    cc: boss@example.org
`, {})
  alerts.notify([ev(3, 'up', 'down', { hostname: 'sw <script>' }), ev(5, 'up', 'down')])
  await waitFor(() => s.got.length === 1, 10_000, 'one mail')
  const { mail, from, rcpt } = s.got[0]
  t.equal(from, 'monitor@example.org')
  t.same(rcpt.sort(), ['boss@example.org', 'noc@example.org', 'ops@example.org'])
  t.equal(mail.subject, '[2 alerts] 2 down')
  t.same((mail.to as any).value.map((a: any) => a.address), ['noc@example.org', 'ops@example.org'])
  t.match(mail.text, /^\[2 alerts\] 2 down\n\[DOWN\] sw <script> \(10\.0\.0\.3\) at Gedung A is down since .*\n\[DOWN\] sw-5 \(10\.0\.0\.5\) at Gedung A is down since /)
  t.match(mail.html, /<h2 [^>]*>\[2 alerts\] 2 down<\/h2><ul><li>\[DOWN\] sw &lt;script&gt; \(10\.0\.0\.3\)/, 'HTML part, device names escaped')
  t.notMatch(String(mail.html), /<script>/)
  await alerts.idle()
  t.match(alerts.status().channels[0], { name: 'email-noc', type: 'email', target: `127.0.0.1:${s.port}`, sent: 1, failed: 0 })
})

t.test('SMTP with auth: the password from an environment variable, never in the log or health; a wrong one fails without retries', async (t) => {
  let logins = 0
  const s = await smtp(t, {
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    onAuth: (auth, _session, cb) => {
      logins++
      if (auth.username === 'monitor' && auth.password === PASSWORD) cb(null, { user: 'monitor' })
      else cb(new Error('Invalid username or password'))
    }
  })
  const yaml = (user: string, v: string) => `
channels:
  - name: ${user}
    type: email
    smtp_url: smtp://${user}:\${${v}}@127.0.0.1:${s.port}
    from: monitor@example.org
    to: noc@example.org
`
  const { alerts, logs } = alertsFrom(t, yaml('monitor', 'SMTP_PASSWORD'), { SMTP_PASSWORD: encodeURIComponent(PASSWORD) })
  const ok = await alerts.test('monitor')
  t.match(ok, { ok: true, error: null, answer: /^250 / })
  t.equal(s.got.length, 1)
  t.equal(s.got[0].session.user, 'monitor')
  t.equal(s.got[0].mail.subject, '[TEST] Test message from multi-ping-monitor (' + s.got[0].mail.subject?.split('(')[1])

  const bad = alertsFrom(t, yaml('intruder', 'WRONG'), { WRONG: 'SECRET-wrong' })
  bad.alerts.notify([ev(1, 'up', 'down')])
  await bad.alerts.idle()
  t.match(bad.alerts.status().channels[0], { sent: 0, failed: 1, retried: 0, last_error: 'SMTP 535 (authentication failed)' })
  t.equal(logins, 2, 'an auth failure is not retried')
  const all = [...logs.raw, ...bad.logs.raw, JSON.stringify(alerts.status()), JSON.stringify(bad.alerts.status())].join('\n')
  t.notMatch(all, /SECRET/)
  t.notOk(all.includes(encodeURIComponent(PASSWORD)))
})

t.test('smtp:// upgrades with STARTTLS when offered (self-signed certificate, tls_reject_unauthorized: false or ca_file)', async (t) => {
  const dir = tempDir(t, 'mpm-tls-')
  const key = join(dir, 'key.pem')
  const cert = join(dir, 'cert.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' })
  const { readFileSync } = await import('node:fs')
  const s = await smtp(t, { key: readFileSync(key), cert: readFileSync(cert), authOptional: true, onAuth: (_a, _s, cb) => cb(null, { user: 'monitor' }) })
  const { alerts } = alertsFrom(t, `
channels:
  - { name: insecure, type: email, smtp_url: "smtp://monitor:\${SMTP_PASSWORD}@127.0.0.1:${s.port}", from: a@example.org, to: b@example.org, tls_reject_unauthorized: false }
  - { name: pinned, type: email, smtp_url: "smtp://127.0.0.1:${s.port}", from: a@example.org, to: b@example.org, ca_file: "${cert}" }
  - { name: strict, type: email, smtp_url: "smtp://127.0.0.1:${s.port}", from: a@example.org, to: b@example.org }
`, { SMTP_PASSWORD: 'SECRET-tls' }, { ALERT_RETRIES: 0 })
  t.match(await alerts.test('insecure'), { ok: true })
  t.match(await alerts.test('pinned'), { ok: true })
  t.match(await alerts.test('strict'), { ok: false, error: /^connection failed/ }, 'an unknown certificate is refused by default')
  t.equal(s.got.length, 2)
  for (const g of s.got) t.equal(g.session.secure, true, 'the message went over TLS')
  t.equal(s.got[0].session.user, 'monitor')
})

t.test('an SMTP server that is down: retried, then given up, counted', async (t) => {
  const port = await closedPort()
  const { alerts } = alertsFrom(t, `
channels:
  - { name: down, type: email, smtp_url: "smtp://127.0.0.1:${port}", from: a@example.org, to: b@example.org }
`, {}, { ALERT_RETRIES: 2 })
  alerts.notify([ev(1, 'up', 'down')])
  await alerts.idle()
  t.match(alerts.status().channels[0], { sent: 0, failed: 1, retried: 2, last_error: 'connection failed (ECONNREFUSED)' })
})
