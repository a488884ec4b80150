import t from 'tap'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { NETNS_SKIP, SERVER_JS, tempDir, waitFor, type TestContext } from '../helper.js'

// The process logger: readable lines at a terminal, JSON lines otherwise, secrets redacted in both.
// Run in child processes: the pretty printer writes to the process's own standard output.
const LOG_JS = fileURLToPath(new URL('../../dist/src/lib/log.js', import.meta.url))
const SECRETS_JS = fileURLToPath(new URL('../../dist/src/config/secrets.js', import.meta.url))

function run (cmd: string, args: string[], env: Record<string, string> = {}, cwd?: string): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

const PINO = pathToFileURL(createRequire(import.meta.url).resolve('pino')).href

// a script file, not --eval: the pretty printer's worker thread would inherit --input-type and refuse it
function logOnce (t: TestContext, format: string, isTTY: boolean) {
  const file = join(tempDir(t), 'log-once.mjs')
  writeFileSync(file, `
    import pino from ${JSON.stringify(PINO)}
    import { processLoggerOptions } from ${JSON.stringify(pathToFileURL(LOG_JS).href)}
    import { LOG_REDACT_PATHS } from ${JSON.stringify(pathToFileURL(SECRETS_JS).href)}
    const log = pino(processLoggerOptions({ level: 'info', redact: LOG_REDACT_PATHS, format: ${JSON.stringify(format)}, isTTY: ${String(isTTY)} }))
    log.info({ DB_PASSWORD: 'hunter2-secret', settings: { API_KEY: 'key-secret' }, devices: 5 }, 'inventory loaded')
  `)
  return run(process.execPath, [file])
}

const stripColors = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '') // eslint-disable-line no-control-regex

t.test('pretty: one readable line, secrets redacted', async (t) => {
  const r = await logOnce(t, 'pretty', false)
  t.equal(r.code, 0)
  const line = stripColors(r.stdout.trim())
  t.match(line, /^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\] INFO: inventory loaded /)
  t.throws(() => JSON.parse(line), 'not JSON')
  t.notMatch(r.stdout, /hunter2|key-secret/)
  t.match(r.stdout, /\[Redacted\]/)
})

t.test('auto without a terminal, and json: JSON lines, secrets redacted', async (t) => {
  for (const [format, tty] of [['auto', false], ['json', true]] as const) {
    const r = await logOnce(t, format, tty)
    const o = JSON.parse(r.stdout.trim())
    t.match(o, { level: 30, msg: 'inventory loaded', devices: 5, DB_PASSWORD: '[Redacted]', settings: { API_KEY: '[Redacted]' } }, `${format}, tty ${String(tty)}`)
  }
})

t.test('npm start at a terminal prints readable lines', { skip: NETNS_SKIP }, async (t) => {
  // `script` gives the server a real pseudo-terminal as standard output. The shell prints its pid and
  // becomes `timeout` (a safety net on a loaded machine), which passes our SIGTERM on to the server.
  const cwd = tempDir(t)
  const child = spawn('script', ['-qec', `echo PID=$$; exec timeout -s TERM 90 ${process.execPath} ${SERVER_JS}`, '/dev/null'], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOST: '127.0.0.1', PORT: '0', API_KEY: 'tty-key-secret', TERM: 'dumb' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let raw = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { raw += d })
  const exited = new Promise((resolve) => child.on('exit', resolve))
  t.teardown(async () => { child.kill('SIGKILL'); await exited })
  const pid = Number((await waitFor(() => /PID=(\d+)/.exec(raw), 30_000, 'the pid'))[1])
  await waitFor(() => /INFO: Server listening at http:\/\/127\.0\.0\.1:\d+/.test(stripColors(raw)) && /INFO: inventory loaded/.test(stripColors(raw)), 80_000, 'listening')
  process.kill(pid, 'SIGTERM')
  await exited
  const out = stripColors(raw)
  t.match(out, /^\[\d{4}-\d{2}-\d{2} [\d:.]+\] INFO: Server listening at http:\/\/127\.0\.0\.1:\d+/m)
  t.match(out, /\] INFO: inventory loaded \{"devices":5,"skipped":0,"hilang":1,"not_pinged":1\}/)
  t.notOk(out.split('\n').some((l) => l.trim().startsWith('{')), 'no JSON lines')
  t.notMatch(out, /tty-key-secret/)
})
