import t from 'tap'
import pino from 'pino'
import { LogCapture } from '../helper.js'
import { REDACT } from '../../src/build.js'
import { requestLogger } from '../../src/lib/request-logger.js'

t.test('a request logger is made only when something logs, and logs what a pino child would', async (t) => {
  const logs = new LogCapture()
  let children = 0
  const parent = pino({ level: 'info', redact: REDACT, onChild: () => { children++ } }, logs.stream)
  const quiet = requestLogger(parent, { reqId: 'req-1' }, {})
  t.equal(quiet.level, 'info', 'the level is the parent\'s, read without making the child')
  quiet.debug('below the level')
  t.equal(children, 1, 'a call below the level makes it as well (pino decides)')

  const lazy = requestLogger(parent, { reqId: 'req-2' }, {})
  t.equal(children, 1, 'nothing made before a log call')
  lazy.error({ channel: { password: 'hunter2' }, detail: 'x' }, 'request failed')
  lazy.warn('plain %s', 'message')
  t.equal(children, 2, 'one child per request, however many lines')
  const direct = parent.child({ reqId: 'req-2' })
  direct.error({ channel: { password: 'hunter2' }, detail: 'x' }, 'request failed')
  const [viaLazy, plain, viaChild] = logs.lines.slice(-3)
  t.match(viaLazy, { level: 50, reqId: 'req-2', detail: 'x', channel: { password: '[Redacted]' }, msg: 'request failed' })
  t.match(plain, { level: 40, reqId: 'req-2', msg: 'plain message' })
  const { time: _a, ...a } = viaLazy
  const { time: _b, ...b } = viaChild
  t.same(a, b, 'the same line as a pino child of the same bindings')
  t.notOk(logs.raw.join('\n').includes('hunter2'))

  const grand = lazy.child({ job: 'j' })
  grand.info('nested')
  t.match(logs.lines.at(-1), { reqId: 'req-2', job: 'j', msg: 'nested' })

  const own = requestLogger(parent, { reqId: 'req-3' }, { level: 'warn' })
  t.equal(own.level, 'warn', 'a route log level is kept')
  own.info('not written')
  t.notOk(logs.find('not written').length)
  own.level = 'info'
  own.info('written')
  t.equal(logs.find('written').length, 1)
})
