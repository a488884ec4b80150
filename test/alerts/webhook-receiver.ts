import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { waitFor, type TestContext } from '../helper.js'

export interface Received {
  n: number
  path: string
  headers: IncomingMessage['headers']
  body: any
  at: number
}

/** Decides the answer to request number n (1-based); the default answers 200. */
export type Answer = (req: Received, res: ServerResponse) => void

/** A real webhook receiver: node:http on 127.0.0.1, a free port, closed at teardown. */
export class WebhookReceiver {
  readonly received: Received[] = []
  /** every request, including those answered with an error */
  attempts = 0
  answer: Answer = (_req, res) => { res.writeHead(200).end('ok') }
  private constructor (private readonly server: Server) {}

  static async start (t: TestContext, answer?: Answer): Promise<WebhookReceiver> {
    const server = createServer()
    const r = new WebhookReceiver(server)
    if (answer !== undefined) r.answer = answer
    server.on('request', (req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        r.attempts++
        const text = Buffer.concat(chunks).toString('utf8')
        let body: any = text
        try { body = JSON.parse(text) } catch {}
        const rec: Received = { n: r.attempts, path: req.url ?? '', headers: req.headers, body, at: Date.now() }
        r.answer(rec, res)
        res.on('finish', () => { if (res.statusCode >= 200 && res.statusCode < 300) r.received.push(rec) })
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.teardown(() => r.close())
    return r
  }

  get port (): number {
    return (this.server.address() as AddressInfo).port
  }

  url (path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`
  }

  async waitForReceived (n: number, ms = 10_000): Promise<Received[]> {
    await waitFor(() => this.received.length >= n, ms, `${n} webhook deliveries`)
    return this.received
  }

  async close (): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

/** A port on 127.0.0.1 that nothing listens on: a receiver that is down. */
export async function closedPort (): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}
