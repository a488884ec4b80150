import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { collectEnv } from '../../src/config/load-config.js'
import { loadConfig, tempDir } from '../helper.js'

const load = async (env: Record<string, string>) => (await loadConfig(env)).config

t.test('defaults are the documented ones', async (t) => {
  const c = await load({})
  t.match(c, {
    DB_CONNECTION: 'sqlite',
    DB_HOST: '127.0.0.1',
    DB_PORT: 3306,
    DB_DATABASE: 'kaido_kit',
    DB_USERNAME: 'root',
    DB_PASSWORD: '',
    SQLITE_FILE: 'data/inventaris.sqlite',
    DEVICE_CHECK_INTERVAL: 30,
    PING_INTERVAL: 5,
    PING_TIMEOUT: 3,
    USE_MULTI_PING: true,
    MAX_PING_WORKERS: 20,
    CSV_OUTPUT_DIR: 'ping_results',
    MAX_CSV_RECORDS: 1000,
    CSV_RETENTION_DAYS: 30,
    HOST: '0.0.0.0',
    PORT: 5000,
    LOG_LEVEL: 'info'
  })
  t.equal(c.DB_SOCKET, undefined)
  t.equal(c.API_KEY, undefined)
})

t.test('values are coerced; decimals allowed; old driver names accepted', async (t) => {
  const c = await load({ PING_INTERVAL: '0.5', PING_TIMEOUT: '1.5', USE_MULTI_PING: 'false', DB_CONNECTION: 'mysql+pymysql', DB_PORT: '3307' })
  t.equal(c.PING_INTERVAL, 0.5)
  t.equal(c.PING_TIMEOUT, 1.5)
  t.equal(c.USE_MULTI_PING, false)
  t.equal(c.DB_CONNECTION, 'mysql+pymysql')
  t.equal(c.DB_PORT, 3307)
  t.equal((await load({ DB_CONNECTION: 'mysql2' })).DB_CONNECTION, 'mysql2')
})

t.test('a bad value is one line naming the variable and what it accepts', async (t) => {
  await t.rejects(load({ PING_INTERVAL: '0.2' }), { message: 'Invalid setting PING_INTERVAL="0.2": expected a number, >= 0.5, <= 3600' })
  await t.rejects(load({ PORT: 'http' }), { message: /^Invalid setting PORT="http": expected a whole number/ })
  await t.rejects(load({ DB_CONNECTION: 'postgres' }), { message: 'Invalid setting DB_CONNECTION="postgres": expected one of sqlite, mysql, mysql2, mysql+pymysql' })
  await t.rejects(load({ USE_MULTI_PING: 'maybe' }), { message: 'Invalid setting USE_MULTI_PING="maybe": expected true or false' })
  await t.rejects(load({ LOG_LEVEL: 'loud' }), { message: /^Invalid setting LOG_LEVEL="loud": expected one of fatal, error/ })
})

t.test('ALLOW_FAST_INTERVAL=true lowers the interval floor to 0.1 s, for soak and stress runs only', async (t) => {
  t.equal((await load({ PING_INTERVAL: '0.25', ALLOW_FAST_INTERVAL: 'true' })).PING_INTERVAL, 0.25)
  await t.rejects(load({ PING_INTERVAL: '0.25', ALLOW_FAST_INTERVAL: 'false' }), { message: 'Invalid setting PING_INTERVAL="0.25": expected a number, >= 0.5, <= 3600' })
  await t.rejects(load({ PING_INTERVAL: '0.05', ALLOW_FAST_INTERVAL: 'true' }), { message: 'Invalid setting PING_INTERVAL="0.05": expected a number, >= 0.1 (ALLOW_FAST_INTERVAL=true), <= 3600' })
  t.equal((await load({})).ALLOW_FAST_INTERVAL, false)
})

t.test('.env is read, the environment wins, empty means unset, passwords keep every character', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, '.env')
  writeFileSync(file, 'PING_INTERVAL=7\nPORT=6000\nAPI_KEY=\nDB_PASSWORD="p@ss:w/rd#1"\nUNRELATED=1\n')
  const env = collectEnv({ PORT: '6001', PATH: '/bin' }, file)
  t.same(env, { PING_INTERVAL: '7', PORT: '6001', DB_PASSWORD: 'p@ss:w/rd#1' })
  const c = await load(env)
  t.equal(c.PORT, 6001)
  t.equal(c.PING_INTERVAL, 7)
  t.equal(c.DB_PASSWORD, 'p@ss:w/rd#1')
  t.same(collectEnv({}, join(dir, 'missing.env')), {}, 'no .env file is fine')
})
