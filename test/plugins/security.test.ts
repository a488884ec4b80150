import t from 'tap'
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import helmet from 'helmet'
import { staticHeaders } from '../../src/plugins/security.js'
import type { TestContext } from '../helper.js'

const OPTIONS = {
  contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], frameAncestors: ["'none'"], upgradeInsecureRequests: null } },
  strictTransportSecurity: false
} as const

/** the headers helmet's middleware sets on a real answer of a real server */
async function liveHeaders (t: TestContext): Promise<Record<string, string>> {
  const mw = helmet(OPTIONS)
  const server = createServer((req: IncomingMessage, res: ServerResponse) => { mw(req, res, () => { res.end('ok') }) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close() })
  const port = (server.address() as { port: number }).port
  const res = await new Promise<IncomingMessage>((resolve, reject) => httpRequest({ host: '127.0.0.1', port }, resolve).on('error', reject).end())
  res.resume()
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(res.headers)) if (!['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(k)) out[k] = String(v)
  return out
}

t.test('helmet\'s headers recorded once are the ones its middleware sets on an answer', async (t) => {
  const recorded = staticHeaders(helmet(OPTIONS))
  t.same(recorded, await liveHeaders(t))
  t.match(recorded, { 'content-security-policy': /frame-ancestors 'none'/, 'x-content-type-options': 'nosniff', 'x-frame-options': 'SAMEORIGIN' })
  t.equal(recorded['strict-transport-security'], undefined)
})

t.test('a middleware that finishes later, or fails, is refused', async (t) => {
  t.throws(() => staticHeaders((_req, _res, next) => { setTimeout(next, 1) }), /did not finish at once/)
  t.throws(() => staticHeaders((_req, _res, next) => { next(new Error('no')) }), /no/)
})
