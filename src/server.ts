// first: V8's heap growth is set before the service allocates (see the file)
import { APPLIED_HEAP_FLAGS, missingCommandLineFlags } from './heap-settings.js'
import closeWithGrace from 'close-with-grace'
import { collectEnv } from './config/load-config.js'
import { buildServer, REDACT } from './build.js'
import { LOG_FORMATS, LOG_LEVELS } from './config/env-schema.js'
import { processLoggerOptions, type LogFormat } from './lib/log.js'

const LEVELS = new Set<string>(LOG_LEVELS)
const FORMATS = new Set<string>(LOG_FORMATS)

async function main (): Promise<void> {
  const env = collectEnv(process.env, '.env')
  const level = LEVELS.has(env.LOG_LEVEL ?? '') ? env.LOG_LEVEL : 'info'
  const format = (FORMATS.has(env.LOG_FORMAT ?? '') ? env.LOG_FORMAT : 'auto') as LogFormat
  let app
  try {
    app = await buildServer({ env, logger: processLoggerOptions({ level, redact: REDACT, format, isTTY: process.stdout.isTTY === true }) })
  } catch (err: any) {
    // one clear line: which setting is wrong and what it accepts
    process.stderr.write(`multi-ping-monitor: ${String(err?.message ?? err)}\n`)
    process.exit(1)
  }
  const c = app.config
  // not a warning: tests and development start dist/src/server.js directly; production has them
  app.log.info({ heap_flags: APPLIED_HEAP_FLAGS, node_flags_missing: missingCommandLineFlags() }, 'V8 settings (src/heap-settings.ts)')
  // the service's own shutdown budget (src/service.ts) bounds the whole shutdown
  closeWithGrace({ delay: app.service.shutdown.totalMs }, async ({ signal, err }) => {
    if (err !== undefined) app.log.error({ err }, 'fatal error, shutting down')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
  })
  await app.service.start()
  await app.listen({ host: c.HOST, port: c.PORT })
}

main().catch((err) => {
  process.stderr.write(`multi-ping-monitor: ${String(err?.stack ?? err)}\n`)
  process.exit(1)
})
