import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'

/** answers a request before Fastify sees it and says so (true), or leaves it to Fastify (false) */
export type FrontHandler = (req: IncomingMessage, res: ServerResponse) => boolean

/**
 * The one place a request can be answered before Fastify's routing: the response cache puts its
 * handler here (plugins/response-cache.ts) and takes it away when the app starts closing. Made by
 * buildServer before the app, since the HTTP server is made with the app and the cache after it.
 */
export class FrontDoor {
  handler: FrontHandler | null = null
  /** answers given here, since start */
  served = 0
  /** handler calls that threw (the request then went to Fastify) */
  failures = 0

  /** for Fastify's `serverFactory`: the HTTP server Fastify would make, with this door in front */
  serverFactory = (fastifyHandler: (req: IncomingMessage, res: ServerResponse) => void, opts: Record<string, unknown>): Server => {
    const options = opts as { http?: object, keepAliveTimeout?: number, requestTimeout?: number, connectionTimeout?: number, maxRequestsPerSocket?: number }
    const server = createServer(options.http ?? {}, (req, res) => {
      const h = this.handler
      if (h !== null) {
        try {
          if (h(req, res)) {
            this.served++
            return
          }
        } catch {
          // a bug in the handler must not take the process down (a 'request' listener's throw would):
          // Fastify answers instead (its error handler logs), or, with the answer begun, it is cut
          this.failures++
          if (res.headersSent) {
            res.destroy()
            return
          }
        }
      }
      fastifyHandler(req, res)
    })
    // the settings Fastify gives the server it makes itself (fastify/lib/server.js getServerInstance);
    // its defaults are filled in before the factory is called
    if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout
    if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout
    if (options.connectionTimeout !== undefined) server.setTimeout(options.connectionTimeout)
    if (options.maxRequestsPerSocket !== undefined && options.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = options.maxRequestsPerSocket
    return server
  }
}
