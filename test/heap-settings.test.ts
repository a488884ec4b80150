import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { readFileSync } from 'node:fs'
import { nodeFlagsOf, startProdNodeFlags } from '../bench/service-command.js'
import { applyHeapSettings, COMMAND_LINE_FLAGS, heapFlagsToSet, HEAP_GROWING_PERCENT, missingCommandLineFlags, RUNTIME_HEAP_FLAGS } from '../src/heap-settings.js'

// the built module, as src/server.ts loads it (the tests run after npm run build)
const HEAP_SETTINGS_JS = fileURLToPath(new URL('../dist/src/heap-settings.js', import.meta.url))

t.test('every runtime flag is set when the operator gave none', async (t) => {
  t.same(heapFlagsToSet([]), RUNTIME_HEAP_FLAGS.map((f) => f.flag))
  t.ok(heapFlagsToSet(['--enable-source-maps', '--max-old-space-size=512']).includes(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`), 'other flags decide nothing here')
  const seen: string[] = []
  t.same(applyHeapSettings([], (f) => seen.push(f)), seen, 'returns what it set')
  t.same(seen, [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`])
})

t.test("an operator's own --heap-growing-percent wins, in every spelling node passes on", async (t) => {
  for (const argv of [['--heap-growing-percent=50'], ['--heap_growing_percent=50'], ['--heap-growing-percent', '50']]) {
    const seen: string[] = []
    applyHeapSettings(argv, (f) => seen.push(f))
    t.notOk(seen.some((f) => f.startsWith('--heap-growing-percent')), argv.join(' '))
  }
  t.ok(heapFlagsToSet(['--heap-growing-percent-x']).length > 0, 'a longer flag of another name is not it')
})

t.test('npm start and npm run start:prod pass the flags only the command line can set, and the bench reads them', async (t) => {
  const scripts = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).scripts
  t.same(nodeFlagsOf(scripts['start:prod']), COMMAND_LINE_FLAGS, scripts['start:prod'])
  t.same(nodeFlagsOf(scripts.start), COMMAND_LINE_FLAGS, scripts.start)
  t.same(startProdNodeFlags(fileURLToPath(new URL('../dist/src/server.js', import.meta.url))), COMMAND_LINE_FLAGS, 'what the bench starts this build with')
  t.same(startProdNodeFlags('/nonexistent/dist/src/server.js'), [], 'a build without a package.json: no flags')
  t.same(nodeFlagsOf('NODE_ENV=production node --a --b=1 dist/src/server.js --c'), ['--a', '--b=1'], "only node's own, before the script")
  t.same(nodeFlagsOf('tsx src/server.ts'), [])
})

t.test('the service names the command-line flags it was started without', async (t) => {
  t.same(missingCommandLineFlags([]), COMMAND_LINE_FLAGS)
  t.same(missingCommandLineFlags(['--enable-source-maps', ...COMMAND_LINE_FLAGS]), [])
  t.same(missingCommandLineFlags(['--no_memory_reducer', '--expose_gc', '--max_semi_space_size=8']), [], 'V8 takes underscores too')
  t.same(missingCommandLineFlags(['--no-memory-reducer']), ['--expose-gc', '--max-semi-space-size=8'], 'each flag on its own')
  t.same(missingCommandLineFlags(['--no-memory-reducer', '--expose-gc', '--max-semi-space-size=16']), [], "the operator's own young generation size is theirs")
  t.same(missingCommandLineFlags(['--no-memory-reducer', '--expose-gc', '--max-semi-space-size-x=8']), ['--max-semi-space-size=8'], 'a longer flag is not it, with a value either')
  t.same(missingCommandLineFlags(['--no-memory-reducer-x']), COMMAND_LINE_FLAGS, 'a longer flag is not it')
})

/**
 * The real process: the module sets its flags on import (and not the operator's), and V8 survives
 * full collections on the main thread and in a worker started afterwards with them. Some flags abort
 * V8 at the next mark-compact when set after start (see RUNTIME_HEAP_FLAGS): this is what catches one.
 */
const CHILD = `
const { APPLIED_HEAP_FLAGS } = await import(${JSON.stringify(HEAP_SETTINGS_JS)})
const { Worker } = await import('node:worker_threads')
const churn = 'let keep = []; for (let r = 0; r < 8; r++) { const a = []; for (let i = 0; i < 100000; i++) a.push({ i, s: String(i) }); keep = a; if (r % 2 === 1) globalThis.gc() }'
const w = new Worker(churn, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 8 } })
const exited = new Promise((resolve) => w.on('exit', resolve))
new Function(churn)()
if (await exited !== 0) process.exit(3)
console.log(JSON.stringify(APPLIED_HEAP_FLAGS))
`

t.test('in a process: set on import, the operator wins, and full collections survive them', async (t) => {
  const run = (flags: string[]) => spawnSync(process.execPath, ['--expose-gc', ...flags, '--input-type=module', '-e', CHILD], { encoding: 'utf8', timeout: 60_000 })
  const plain = run([])
  t.equal(plain.status, 0, `exit code (stderr: ${plain.stderr.slice(0, 300)})`)
  t.same(JSON.parse(plain.stdout), RUNTIME_HEAP_FLAGS.map((f) => f.flag))
  const own = run(['--heap-growing-percent=50'])
  t.equal(own.status, 0, `exit code (stderr: ${own.stderr.slice(0, 300)})`)
  t.same(JSON.parse(own.stdout), [], "the operator's flag is left as it is")
  const prod = run([...COMMAND_LINE_FLAGS])
  t.equal(prod.status, 0, `with the start:prod flags too (stderr: ${prod.stderr.slice(0, 300)})`)
})
