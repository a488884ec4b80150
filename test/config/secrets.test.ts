import t from 'tap'
import pino from 'pino'
import { Writable } from 'node:stream'
import { LOG_REDACT_PATHS, REDACTED, SECRET_SETTINGS, redactSecrets, secretValues } from '../../src/config/secrets.js'
import { REDACT } from '../../src/build.js'

t.test('a password with URL and shell characters never survives, as written or percent-encoded', async (t) => {
  const password = 'p@ss:w/rd#1'
  const message = `connect failed for mysql://root:${password}@db:3306/kaido_kit (${encodeURIComponent(password)}); password ${password}`
  const out = redactSecrets(message, secretValues({ DB_PASSWORD: password }))
  t.notOk(out.includes(password))
  t.notOk(out.includes(encodeURIComponent(password)))
  t.equal(out, 'connect failed for mysql://root:[REDACTED]@db:3306/kaido_kit ([REDACTED]); password [REDACTED]')
  t.notOk(redactSecrets('a.b+c*d?(x)', ['.', 'b+c*', '?(x)']).match(/[.+*?]/), 'plain matching: regex characters are just characters')
})

t.test('a webhook URL with a token never survives, whole or entry by entry, as written or normalised', async (t) => {
  const urls = 'HTTPS://Hooks.Slack.Example/services/T0/B0/XYZTOKEN , http://127.0.0.1:9'
  const secrets = secretValues({ ALERT_WEBHOOK_URLS: urls })
  for (const text of [
    `bad list ${urls}`,
    'POST HTTPS://Hooks.Slack.Example/services/T0/B0/XYZTOKEN failed',
    'POST https://hooks.slack.example/services/T0/B0/XYZTOKEN failed',
    'fetch http://127.0.0.1:9/ refused',
    `query ?to=${encodeURIComponent('https://hooks.slack.example/services/T0/B0/XYZTOKEN')}`
  ]) {
    const out = redactSecrets(text, secrets)
    t.notMatch(out, /XYZTOKEN|127\.0\.0\.1:9/, out)
    t.match(out, REDACTED)
  }
})

t.test('a secret that holds another is replaced whole; empty and unset ones are ignored', async (t) => {
  t.equal(redactSecrets('key abc-123-xyz here', ['123', 'abc-123-xyz']), 'key [REDACTED] here')
  t.equal(redactSecrets('nothing to hide', ['', '']), 'nothing to hide')
  t.same(secretValues({ DB_PASSWORD: '', API_KEY: undefined, ALERT_WEBHOOK_URLS: '' }), [])
  t.same(secretValues({ DB_PASSWORD: 'pw', API_KEY: 'key' }), ['pw', 'key'])
})

t.test('the logger redacts every secret setting, top level or nested, from the one list', async (t) => {
  t.equal(REDACT, LOG_REDACT_PATHS, 'build.ts hands pino the list from src/config')
  const lines: string[] = []
  const stream = new Writable({ write: (chunk, _enc, cb) => { lines.push(String(chunk)); cb() } })
  const log = pino({ redact: REDACT }, stream)
  const secret = Object.fromEntries(SECRET_SETTINGS.map((name) => [name, `SECRET-${name}`]))
  log.info(secret, 'top level')
  log.info({ config: secret, db: { password: 'SECRET-pw' } }, 'nested')
  log.info({ req: { headers: { authorization: 'Bearer SECRET-auth', cookie: 'SECRET-cookie' } } }, 'request')
  t.equal(lines.length, 3)
  for (const line of lines) {
    t.notMatch(line, /SECRET/, line)
    t.match(line, '[Redacted]')
  }
})
