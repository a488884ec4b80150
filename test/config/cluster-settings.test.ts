import t from 'tap'
import { secretValues, SECRET_SETTINGS } from '../../src/config/secrets.js'
import { natsConnectOptions } from '../../src/cluster/nats-connection.js'
import { loadConfig } from '../helper.js'

const load = async (env: Record<string, string>) => (await loadConfig(env)).config

t.test('cluster mode settings: static by default, NATS servers validated, secrets redacted', async (t) => {
  const d = await load({})
  t.equal(d.CLUSTER_MODE, 'static', 'the default needs no NATS')
  t.equal(d.CLUSTER_PARTITIONS, 1024)
  t.equal(d.CLUSTER_ON_NATS_LOSS, 'fence')
  const c = await load({ CLUSTER_MODE: 'nats', NATS_SERVERS: 'nats://10.0.0.1:4222, tls://nats-2.example.org:4222', NATS_USER: 'mpm', NATS_PASSWORD: 'pw-secret', INSTANCE_ID: 'host-1:5000' })
  t.same(natsConnectOptions(c).servers, ['nats://10.0.0.1:4222', 'tls://nats-2.example.org:4222'])
  t.match(natsConnectOptions(c), { user: 'mpm', pass: 'pw-secret', maxReconnectAttempts: -1 })
  t.ok(SECRET_SETTINGS.includes('NATS_PASSWORD') && SECRET_SETTINGS.includes('NATS_TOKEN'))
  t.ok(secretValues(c).includes('pw-secret'), 'the password is redacted from errors')
  await t.rejects(load({ NATS_SERVERS: 'http://x:4222' }), { name: 'ConfigError', message: /NATS_SERVERS/ })
  await t.rejects(load({ NATS_SERVERS: 'nats://user:pw@x:4222' }), { name: 'ConfigError', message: /NATS_SERVERS/ }, 'no credentials in the URLs')
  await t.rejects(load({ CLUSTER_MODE: 'nats', SHARD_COUNT: '2' }), { name: 'ConfigError', message: /SHARD_COUNT/ })
  await t.rejects(load({ NATS_PASSWORD: 'x' }), { name: 'ConfigError', message: /NATS_USER/ })
  await t.rejects(load({ NATS_TLS_CERT_FILE: '/x.pem' }), { name: 'ConfigError', message: /NATS_TLS_KEY_FILE/ })
  await t.rejects(load({ INSTANCE_ID: 'has space' }), { name: 'ConfigError', message: /INSTANCE_ID/ })
})
