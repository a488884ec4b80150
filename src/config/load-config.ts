import { readFileSync } from 'node:fs'
import { parseEnv } from 'node:util'
import { envSchema, describeAccepted } from './env-schema.js'

/**
 * The one start-up error line: `Invalid setting NAME="value": expected ...`. A secret's value is left
 * out (pass undefined); `{ problem }` replaces "expected ..." where the fault is not a range or a format
 * (a webhook URL entry, named by position because its text is a secret).
 */
export class ConfigError extends Error {
  constructor (readonly variable: string, readonly value: unknown, expected: string | { problem: string } = describeAccepted(variable)) {
    super(`Invalid setting ${variable}${value === undefined ? '' : `=${JSON.stringify(String(value))}`}: ${typeof expected === 'string' ? `expected ${expected}` : expected.problem}`)
    this.name = 'ConfigError'
  }
}

/** The settings' names: everything else in the environment is none of our business. */
const KNOWN = new Set(Object.keys(envSchema.properties))

/**
 * The values to validate: `.env` (when asked for) overlaid by `source`, so the environment wins.
 * Empty values count as unset (a `.env` copied from `.env.example` has many), except DB_PASSWORD,
 * where empty is a real value.
 */
export function collectEnv (source: NodeJS.ProcessEnv, dotenvPath?: string): Record<string, string> {
  const fromFile = dotenvPath === undefined ? {} : readDotenv(dotenvPath)
  const merged: Record<string, string | undefined> = { ...fromFile, ...source }
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(merged)) {
    if (!KNOWN.has(k) || v === undefined) continue
    if (v.trim() === '' && k !== 'DB_PASSWORD') continue
    out[k] = k === 'DB_PASSWORD' ? v : v.trim()
  }
  return out
}

function readDotenv (path: string): Record<string, string> {
  try {
    return parseEnv(readFileSync(path, 'utf8')) as Record<string, string>
  } catch (err: any) {
    if (err.code === 'ENOENT') return {}
    throw err
  }
}
