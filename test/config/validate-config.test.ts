import t, { type Test } from 'tap'
import type { Config } from '../../src/config/env-schema.js'
import { ConfigError } from '../../src/config/load-config.js'
import { schemaFor, toConfigError, validateConfig } from '../../src/config/validate-config.js'
import { parseTrustProxy, readTrustProxy } from '../../src/config/trust-proxy.js'
import { loadConfig } from '../helper.js'

const load = loadConfig

const defaults: Config = (await load({})).config
const withSettings = (over: Partial<Config>): Config => ({ ...defaults, ...over })

/** the error validateConfig throws for these settings: a ConfigError of one line */
function failure (t: Test, over: Partial<Config>, env: Record<string, string> = {}): ConfigError {
  try {
    validateConfig(withSettings(over), env)
  } catch (err) {
    t.type(err, ConfigError)
    t.notMatch((err as Error).message, /\n/, 'one line')
    return err as ConfigError
  }
  throw new Error('no error')
}

t.test('the defaults pass and give the parsed extras', async (t) => {
  const s = validateConfig(defaults)
  t.same(s.shard, { index: 0, count: 1 })
  t.same(s.webhookUrls, [])
  t.equal(s.trustProxy, false)
  const loaded = await load({ SHARD_COUNT: '4', SHARD_INDEX: '3', ALERT_WEBHOOK_URLS: 'http://127.0.0.1:9/a', TRUST_PROXY: '127.0.0.1' })
  t.same(loaded.settings.shard, { index: 3, count: 4 }, 'the config plugin decorates app.settings')
  t.same(loaded.settings.webhookUrls.map((u) => u.href), ['http://127.0.0.1:9/a'])
  t.same(loaded.settings.trustProxy, ['127.0.0.1'])
})

t.test('HISTORY_HOURS at most CSV_RETENTION_DAYS x 24 (0 days = files kept forever, no limit)', async (t) => {
  const e = failure(t, { HISTORY_HOURS: 721, CSV_RETENTION_DAYS: 30 }, { HISTORY_HOURS: '721' })
  t.equal(e.variable, 'HISTORY_HOURS')
  t.equal(e.message, 'Invalid setting HISTORY_HOURS="721": expected at most CSV_RETENTION_DAYS x 24 = 720')
  t.doesNotThrow(() => validateConfig(withSettings({ HISTORY_HOURS: 720, CSV_RETENTION_DAYS: 30 })))
  t.doesNotThrow(() => validateConfig(withSettings({ HISTORY_HOURS: 8760, CSV_RETENTION_DAYS: 0 })))
  await t.rejects(load({ HISTORY_HOURS: '49', CSV_RETENTION_DAYS: '2' }), { name: 'ConfigError', message: 'Invalid setting HISTORY_HOURS="49": expected at most CSV_RETENTION_DAYS x 24 = 48' })
})

t.test('SHARD_INDEX below SHARD_COUNT; the value quoted as written', async (t) => {
  const e = failure(t, { SHARD_COUNT: 3, SHARD_INDEX: 3 }, { SHARD_INDEX: '03' })
  t.equal(e.variable, 'SHARD_INDEX')
  t.equal(e.message, 'Invalid setting SHARD_INDEX="03": expected 0 to SHARD_COUNT - 1 = 2')
  t.equal(failure(t, { SHARD_COUNT: 1, SHARD_INDEX: 5 }).message, 'Invalid setting SHARD_INDEX="5": expected 0 to SHARD_COUNT - 1 = 0', 'without the raw value: the checked one')
  await t.rejects(load({ SHARD_COUNT: '2', SHARD_INDEX: '2' }), { name: 'ConfigError', message: 'Invalid setting SHARD_INDEX="2": expected 0 to SHARD_COUNT - 1 = 1' })
})

t.test('ALERT_WEBHOOK_URLS: an entry is named by position, its text (a secret) never', async (t) => {
  const cases: Array<[string, string]> = [
    ['http://127.0.0.1/ok,not a url SECRET', 'Invalid setting ALERT_WEBHOOK_URLS: entry 2 is not a URL'],
    ['ftp://127.0.0.1/SECRET', 'Invalid setting ALERT_WEBHOOK_URLS: entry 1 is not an http:// or https:// URL'],
    ['http://user:SECRET@127.0.0.1/', 'Invalid setting ALERT_WEBHOOK_URLS: entry 1 has a user name or password in it (not supported)']
  ]
  for (const [value, message] of cases) {
    const e = failure(t, { ALERT_WEBHOOK_URLS: value }, { ALERT_WEBHOOK_URLS: value })
    t.equal(e.variable, 'ALERT_WEBHOOK_URLS')
    t.equal(e.message, message)
    t.notMatch(e.message, /SECRET/)
    t.equal(e.value, undefined)
  }
  await t.rejects(load({ ALERT_WEBHOOK_URLS: 'https://hooks.example.test/T0/B0/SECRET,x' }), { name: 'ConfigError', message: 'Invalid setting ALERT_WEBHOOK_URLS: entry 2 is not a URL' })
})

t.test('TRUST_PROXY: addresses and CIDRs as Fastify takes them, anything else refused with the one line', async (t) => {
  t.equal(readTrustProxy(undefined), false)
  t.equal(readTrustProxy('false'), false)
  t.equal(readTrustProxy('true'), true)
  const hops = readTrustProxy('2') as (a: string, hop: number) => boolean
  t.same([hops('x', 0), hops('x', 1), hops('x', 2)], [true, true, false], 'a hop count')
  t.same(readTrustProxy('127.0.0.1,10.0.0.0/8,10.1.0.0/255.255.0.0,::1/128,::ffff:10.0.0.1/104'), ['127.0.0.1', '10.0.0.0/8', '10.1.0.0/255.255.0.0', '::1/128', '::ffff:10.0.0.1/104'])
  // each of these passes the schema's pattern, and Fastify would throw or ignore it
  for (const bad of ['abc', '127.1', '1.2.3.4/99', '1.2.3.4/0', '::1/200', '10.0.0.1/255.0.255.0', '10.0.0.1/0.0.0.0', '::1/255.255.0.0', '127.0.0.1,dead']) {
    const e = failure(t, { TRUST_PROXY: bad })
    t.equal(e.message, `Invalid setting TRUST_PROXY=${JSON.stringify(bad)}: expected false, true, a hop count, or comma-separated proxy addresses/CIDRs whose X-Forwarded-For is believed`, bad)
    t.equal(parseTrustProxy(bad), false, `${bad}: false when Fastify is built, so that the check names it`)
  }
  t.same(parseTrustProxy('10.0.0.0/8'), ['10.0.0.0/8'])
  await t.rejects(load({ TRUST_PROXY: '10.0.0.1/33' }), { name: 'ConfigError', message: /^Invalid setting TRUST_PROXY="10.0.0.1\/33": expected false, true, a hop count/ })
})

t.test('the checks run in start order: the first that fails is the line', async (t) => {
  const all = { HISTORY_HOURS: 100, CSV_RETENTION_DAYS: 1, SHARD_COUNT: 2, SHARD_INDEX: 2, ALERT_WEBHOOK_URLS: 'x', TRUST_PROXY: 'abc' }
  t.equal(failure(t, all).variable, 'HISTORY_HOURS')
  t.equal(failure(t, { ...all, CSV_RETENTION_DAYS: 30 }).variable, 'SHARD_INDEX')
  t.equal(failure(t, { ...all, CSV_RETENTION_DAYS: 30, SHARD_INDEX: 1 }).variable, 'ALERT_WEBHOOK_URLS')
  t.equal(failure(t, { ...all, CSV_RETENTION_DAYS: 30, SHARD_INDEX: 1, ALERT_WEBHOOK_URLS: '' }).variable, 'TRUST_PROXY')
  // a schema failure comes before any of them
  await t.rejects(load({ PORT: 'http', SHARD_COUNT: '2', SHARD_INDEX: '2' }), { message: /^Invalid setting PORT="http"/ })
})

t.test('schema failures: ALLOW_FAST_INTERVAL picks the floor; a secret is never quoted', async (t) => {
  const floor = (env: Record<string, string>) => (schemaFor(env).properties.PING_INTERVAL as { minimum?: number }).minimum
  t.equal(floor({}), 0.5)
  t.equal(floor({ ALLOW_FAST_INTERVAL: 'true' }), 0.1)
  t.equal(floor({ ALLOW_FAST_INTERVAL: 'false' }), 0.5)
  const ajvError = (name: string) => ({ errors: [{ instancePath: `/${name}` }] })
  t.equal(toConfigError(ajvError('PING_INTERVAL'), { PING_INTERVAL: '0.05', ALLOW_FAST_INTERVAL: 'true' }).message, 'Invalid setting PING_INTERVAL="0.05": expected a number, >= 0.1 (ALLOW_FAST_INTERVAL=true), <= 3600')
  t.equal(toConfigError(ajvError('PING_INTERVAL'), { PING_INTERVAL: '0.2' }).message, 'Invalid setting PING_INTERVAL="0.2": expected a number, >= 0.5, <= 3600')
  t.equal(toConfigError(ajvError('API_KEY'), { API_KEY: 'SECRET' }).message, 'Invalid setting API_KEY: expected text, not empty')
  t.equal(toConfigError({ errors: [{ instancePath: '', params: { missingProperty: 'DB_HOST' } }] }, {}).message, 'Invalid setting DB_HOST: expected text, not empty')
  const other = new Error('not from ajv')
  t.equal(toConfigError(other, {}), other, 'anything else is passed on as it is')
})
