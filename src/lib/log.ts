import { createRequire } from 'node:module'

/** The part of a pino logger the plain modules use; tests pass a silent or capturing one. */
export interface Log {
  info: (o: object, m?: string) => void
  warn: (o: object, m?: string) => void
  error: (o: object, m?: string) => void
  debug?: (o: object, m?: string) => void
}

export type LogFormat = 'auto' | 'pretty' | 'json'

/**
 * The process logger's options: readable lines (pino-pretty) for a person at a terminal, JSON lines
 * for everything else (journald, docker, files, log shippers). Redaction happens in pino itself,
 * before a line reaches the pretty printer's worker thread, so the secrets stay out in both forms.
 */
export function processLoggerOptions (opts: { level: string, redact: string[], format: LogFormat, isTTY: boolean }) {
  const pretty = opts.format === 'pretty' || (opts.format === 'auto' && opts.isTTY)
  return {
    level: opts.level,
    redact: opts.redact,
    ...(pretty
      ? { transport: { target: prettyTarget(), options: { colorize: opts.isTTY, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true } } }
      : {})
  }
}

// pino resolves a transport's name from the file that calls pino(), which is Fastify's, not ours:
// an absolute path works from wherever the logger is made
function prettyTarget (): string {
  return createRequire(import.meta.url).resolve('pino-pretty')
}
