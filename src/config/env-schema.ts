import { Type, type Static } from 'typebox'

/**
 * The one description of every setting. The Config type is derived from it, so the two cannot drift.
 * Numbers arrive as strings from the environment; env-schema's ajv coerces them.
 */
export const envSchema = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  DB_CONNECTION: Type.Union([
    Type.Literal('sqlite'),
    Type.Literal('mysql'),
    Type.Literal('mysql2'),
    Type.Literal('mysql+pymysql')
  ], { default: 'sqlite', description: 'sqlite (embedded inventory) or mysql (also mysql2, mysql+pymysql)' }),
  DB_HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  DB_PORT: Type.Integer({ default: 3306, minimum: 1, maximum: 65535 }),
  DB_DATABASE: Type.String({ default: 'kaido_kit', minLength: 1 }),
  DB_USERNAME: Type.String({ default: 'root', minLength: 1 }),
  DB_PASSWORD: Type.String({ default: '' }),
  DB_SOCKET: Type.Optional(Type.String()),
  SQLITE_FILE: Type.String({ default: 'data/inventaris.sqlite', minLength: 1 }),
  DEVICE_CHECK_INTERVAL: Type.Number({ default: 30, minimum: 1, maximum: 86400 }),
  PING_INTERVAL: Type.Number({ default: 5, minimum: 0.5, maximum: 3600 }),
  PING_TIMEOUT: Type.Number({ default: 3, minimum: 0.1, maximum: 60 }),
  USE_MULTI_PING: Type.Boolean({ default: true }),
  MAX_PING_WORKERS: Type.Integer({ default: 20, minimum: 1, maximum: 10000 }),
  PING_COMMAND: Type.String({ default: 'ping', minLength: 1, description: 'ping program (name on PATH or absolute path)' }),
  CSV_OUTPUT_DIR: Type.String({ default: 'ping_results', minLength: 1 }),
  MAX_CSV_RECORDS: Type.Integer({ default: 1000, minimum: 0 }),
  CSV_RETENTION_DAYS: Type.Integer({ default: 30, minimum: 0 }),
  CSV_BUFFER_MAX_ROWS: Type.Integer({ default: 1000000, minimum: 1000 }),
  HOST: Type.String({ default: '0.0.0.0', minLength: 1 }),
  PORT: Type.Integer({ default: 5000, minimum: 0, maximum: 65535 }),
  API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  TEST_PING_RATE_LIMIT: Type.Integer({ default: 30, minimum: 1, description: 'test pings per minute per client' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' }
  )
})

export type Config = Static<typeof envSchema>

/** What each variable accepts, for the one-line start error. */
export function describeAccepted (name: string): string {
  const prop = (envSchema.properties as Record<string, any>)[name]
  if (prop === undefined) return 'a known setting'
  if (prop.anyOf !== undefined) return 'one of ' + prop.anyOf.map((p: any) => p.const).join(', ')
  const parts: string[] = []
  if (prop.type === 'boolean') return 'true or false'
  parts.push(prop.type === 'integer' ? 'a whole number' : prop.type === 'number' ? 'a number' : 'text')
  if (prop.minimum !== undefined) parts.push(`>= ${prop.minimum}`)
  if (prop.maximum !== undefined) parts.push(`<= ${prop.maximum}`)
  if (prop.minLength !== undefined) parts.push('not empty')
  return parts.join(', ')
}
