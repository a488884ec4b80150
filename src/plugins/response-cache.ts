import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { promisify } from 'node:util'
import { brotliCompress, brotliCompressSync, constants as zc, gzip, gzipSync } from 'node:zlib'
import type { FastifyReply, FastifyRequest, onRequestHookHandler, onSendHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { LRUCache } from 'lru-cache'
import { chooseEncoding, ifNoneMatchHits, type Coding } from '../lib/accept-encoding.js'
import { withHookFirst } from '../lib/route-hooks.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** the answer changes only when a cycle ends or the inventory changes: serve it from memory until then */
    cachePerCycle?: boolean
    /**
     * what else the answer depends on that can change between cycles (the fleet view, fed by other
     * instances' messages): asked on every request, so a number or short string at hand
     */
    cacheVersion?: () => number | string
  }
}

/*
 * Levels, from `npm run bench:api` (its "compression levels" table: the real answers at 1,000 and
 * 10,000 devices, sync, median of up to 5 runs; 2026-12-02 14:35 UTC, load average 3.6–8 on 2 shared
 * cores). The largest answer, /status at 10,000 devices (3.5 MB):
 *   gzip 1: 120 KB in 4 ms    gzip 6: 93 KB in 21 ms    gzip 9: 90 KB in 50 ms
 *   br 1: 68 KB in 2 ms   br 4: 62 KB in 13 ms   br 5: 46 KB in 20 ms   br 6: 46 KB in 25 ms
 *   br 9: 44 KB in 82 ms   br 11: 40 KB in 13.8 s
 * /status at 1,000 (351 KB): gzip 6 10.0 KB in 2.2 ms, gzip 9 9.6 KB; br 4 6.0 KB, br 5 5.5 KB in
 * 2.1 ms, br 9 5.5 KB in 18 ms. All the measured answers together: gzip 1/6/9 3.09/2.59/2.50 % of
 * identity; br 4/5/6/9/11 1.56/1.32/1.32/1.24/1.08 % (11 in 27 s). gzip 6 (zlib's default) and
 * brotli 5 are the knees: brotli 5 is a quarter smaller than 4 on the status (the dashboard's
 * per-cycle download) and 6 gains nothing; 9 gains 4 % for four times the CPU, 11 a seventh for
 * seconds per answer. Each answer is compressed once per cycle, so a millisecond more buys bytes on
 * every download of it, up to that knee.
 */
const GZIP_LEVEL = 6
const BROTLI_QUALITY = 5
/*
 * Below this size the sync call (≈20–40 µs for 2 KB) is cheaper than the async one's hop to the libuv
 * pool and back (≈0.5 ms of latency for the same 2 KB, measured); above it the async call keeps a
 * 1–2 ms compression of a large answer off the event loop, where requests and cycles are waiting.
 */
const SYNC_BELOW = 16 * 1024

/*
 * The bytes of answers kept, codings included. The whole service should stay within 250 MB of RSS at
 * 50,000 devices (issue 17), where a full /status answer is ~10 MB (190 KB at 1,000 devices, scaled;
 * not measured at 50,000) and its codings a tenth of it: this holds
 * the big answers of a cycle several times over. Entries of an older cycle count until their URL is
 * asked again or the bound pushes them out; at 128 MB (before) the cache alone could take half the budget.
 */
const CACHE_MAX_BYTES = 32 * 1024 * 1024

const gzipAsync = promisify(gzip)
const brotliAsync = promisify(brotliCompress)

function compress (coding: 'gzip' | 'br', body: Buffer): Buffer | Promise<Buffer> {
  if (coding === 'gzip') {
    const opts = { level: GZIP_LEVEL }
    return body.length < SYNC_BELOW ? gzipSync(body, opts) : gzipAsync(body, opts)
  }
  const opts = { params: { [zc.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zc.BROTLI_PARAM_SIZE_HINT]: body.length, [zc.BROTLI_PARAM_MODE]: zc.BROTLI_MODE_TEXT } }
  return body.length < SYNC_BELOW ? brotliCompressSync(body, opts) : brotliAsync(body, opts)
}

/** what an answer was made from (see `stampOf`); compared field by field on every request */
interface Stamp {
  cycles: number
  loads: number
  loading: boolean
  writes: number
  extra: number | string | undefined
  /** the route's own cacheVersion, asked again to compare with `extra` */
  version: (() => number | string) | undefined
}

/** the headers of a hit in one coding, made once per entry and coding, for the front door */
interface Heads {
  ok: Record<string, string>
  notModified: Record<string, string>
}

/** one serialised answer and its codings, made when first asked for */
interface Entry {
  stamp: Stamp
  /** strong entity tags, quoted, of the identity bytes and of each coding: the coded ones add `-gz` /
   * `-br` (RFC 9110 §8.8.3: a strong tag names exactly one sequence of bytes, so each content coding
   * needs its own); made once with the entry, not per request */
  etags: Record<Coding, string>
  identity: Buffer
  /** the miss's Content-Type (JSON, or the CSV of `format=csv`) and Content-Disposition, for every hit */
  type: string
  disposition?: string
  gzip?: Buffer | Promise<Buffer>
  br?: Buffer | Promise<Buffer>
  heads: Partial<Record<Coding, Heads>>
}

/** adds Accept-Encoding to a Vary another plugin may have set (CORS sets `Vary: Origin`) */
function addVary (reply: FastifyReply): void {
  const cur = reply.getHeader('vary')
  if (cur === undefined) reply.header('vary', 'Accept-Encoding')
  else if (!/accept-encoding/i.test(String(cur))) reply.header('vary', `${String(cur)}, Accept-Encoding`)
}

/** the methods that change nothing: a successful answer to any other counts as a write */
const READS = new Set(['GET', 'HEAD', 'OPTIONS'])

const etagsOf = (tag: string): Record<Coding, string> => ({ identity: `"${tag}"`, gzip: `"${tag}-gz"`, br: `"${tag}-br"` })
const size = (e: Entry) => e.identity.length + (Buffer.isBuffer(e.gzip) ? e.gzip.length : 0) + (Buffer.isBuffer(e.br) ? e.br.length : 0) + 128

/**
 * The read routes answer from data that changes once per cycle; under load the same answer would be
 * serialised, and compressed, again and again. This keeps each route's serialised answer per URL until
 * the next cycle (or inventory change), bounded in bytes, with its gzip and brotli codings made once,
 * lazily, on the first request that asks for each (never in the cycle itself). Every cached answer
 * carries `Vary: Accept-Encoding` and an `ETag`, and a matching `If-None-Match` gets a 304: a client
 * polling an answer that did not change downloads nothing. Any route with `config.cachePerCycle` gets
 * all of it. (@fastify/compress would compress each response again for every request.)
 */
export default fp(async (app) => {
  const cache = new LRUCache<string, Entry>({ maxSize: CACHE_MAX_BYTES, sizeCalculation: size })
  /*
   * What a cached answer was made from. Asked on every request: plain numbers, no status objects.
   * - cycles and inventory loads: the data of every route;
   * - `writes`: a POST/DELETE through the API that succeeded (a maintenance window made or ended
   *   changes the device rows of status and latest, and GET /maintenance, at once, not at the next cycle);
   * - the route's own `cacheVersion`, if it has one (the fleet view, the shift reports).
   * Not in it: the clock. With the monitor stopped an answer stays as it was made (a maintenance window
   * that starts meanwhile shows in the device rows at the next cycle or write).
   */
  let writes = 0
  // made on a miss only: a hit compares in place (`current`), with no string or object per request.
  // `extra` is the route's own cacheVersion, taken from its options when the route is made (reading
  // request.routeOptions builds a dozen-field object on every access)
  const stampOf = (version: (() => number | string) | undefined): Stamp => ({
    cycles: app.monitor.cycleCount,
    loads: app.inventory.loadCount,
    loading: app.historyLoading(),
    writes,
    extra: version?.(),
    version
  })
  const current = (s: Stamp): boolean => {
    if (s.cycles !== app.monitor.cycleCount || s.loads !== app.inventory.loadCount || s.writes !== writes || s.loading !== app.historyLoading()) return false
    return s.version === undefined || s.extra === s.version()
  }
  // the stamp each miss was computed from (taken before the handler runs)
  const misses = new WeakMap<object, Stamp>()
  // the URL each entry is kept under, to re-weigh it once its codings are made
  const keys = new WeakMap<Entry, string>()

  /** the coded bytes of an entry, compressed on the first ask and shared by everyone asking meanwhile */
  const coded = (e: Entry, coding: 'gzip' | 'br'): Buffer | Promise<Buffer> => {
    const have = e[coding]
    if (have !== undefined) return have
    const made = compress(coding, e.identity)
    e[coding] = made
    if (!Buffer.isBuffer(made)) {
      made.then((b) => {
        e[coding] = b
        // account for the coded bytes in the cache's bound (if the entry is still the current one)
        const key = keys.get(e)
        if (key !== undefined && cache.peek(key) === e) cache.set(key, e)
      }, () => { e[coding] = undefined })
    }
    return made
  }

  /** headers for the answer, and what to send: the bytes, a promise of them, or null for a 304 */
  const negotiate = (e: Entry, request: FastifyRequest, reply: FastifyReply): Buffer | Promise<Buffer> | null => {
    const coding = chooseEncoding(request.headers['accept-encoding'])
    const etag = e.etags[coding]
    // the answer depends on Accept-Encoding; no-cache: a cache may keep it but must ask (If-None-Match) each time
    addVary(reply)
    reply.header('etag', etag).header('cache-control', 'no-cache')
    if (ifNoneMatchHits(request.headers['if-none-match'], etag)) {
      reply.code(304).removeHeader('content-type')
      return null
    }
    reply.type(e.type)
    if (e.disposition !== undefined) reply.header('content-disposition', e.disposition)
    if (coding === 'identity') return e.identity
    reply.header('content-encoding', coding)
    return coded(e, coding)
  }

  /** sends a cached answer from onRequest (the route's handler is skipped) */
  const serve = (e: Entry, request: FastifyRequest, reply: FastifyReply): void => {
    const out = negotiate(e, request, reply)
    // a 304 sends nothing: send(null) would be serialised, a JSON `null` of 4 bytes in its headers
    if (out === null) {
      reply.send()
      return
    }
    if (Buffer.isBuffer(out)) {
      reply.send(out)
      return
    }
    out.then((b) => reply.send(b), (err: unknown) => reply.send(err))
  }

  /*
   * A cycle's first requests of one URL arrive together (50 dashboards, a load test): all of them
   * would miss, and each would build, serialise and compress the same answer. The first one computes
   * it; the others wait for its entry (or, if it did not end in a cacheable 200, compute their own).
   */
  const computing = new Map<string, { stamp: Stamp, entry: Promise<Entry | null>, settle: (e: Entry | null) => void }>()
  const settle = (request: FastifyRequest, e: Entry | null) => {
    const m = misses.get(request)
    if (m === undefined) return
    misses.delete(request)
    const c = computing.get(request.url)
    if (c !== undefined && c.stamp === m) {
      computing.delete(request.url)
      c.settle(e)
    }
  }

  // callback hooks, not async ones: a hit whose coding is ready costs no promise
  const onRequestOf = (extra: (() => number | string) | undefined): onRequestHookHandler => function cacheOnRequest (request, reply, done) {
    if (request.method !== 'GET' && request.method !== 'HEAD') return done()
    const e = cache.get(request.url)
    if (e !== undefined && current(e.stamp)) return serve(e, request, reply)
    const c = computing.get(request.url)
    if (c !== undefined && current(c.stamp)) {
      c.entry.then((made) => {
        if (made !== null) return serve(made, request, reply)
        // the first one did not make a cacheable answer (an error): this one is handled on its own
        done()
      }, done)
      return
    }
    const stamp = stampOf(extra)
    misses.set(request, stamp)
    let settleEntry: (e: Entry | null) => void = () => {}
    const entry = new Promise<Entry | null>((resolve) => { settleEntry = resolve })
    computing.set(request.url, { stamp, entry, settle: settleEntry })
    // a miss that never reaches onSend (the client went away, a hook failed): its waiters compute
    // their own. Listened to on misses only (onResponse and onRequestAbort hooks cost every hit a
    // hook run and a listener); 'close' comes after the answer or the connection's end, whichever first
    reply.raw.once('close', () => { settle(request, null) })
    done()
  }

  const cacheOnSend: onSendHookHandler = function cacheOnSend (request, reply, payload, done) {
    const stamp = misses.get(request)
    if (stamp === undefined) return done(null, payload)
    if (reply.statusCode !== 200 || typeof payload !== 'string') {
      settle(request, null)
      return done(null, payload)
    }
    // kept and sent as bytes: a large answer is encoded once per cycle, not once per request; its tag
    // is a hash of the bytes, so an answer that did not change from one cycle to the next keeps it
    const identity = Buffer.from(payload)
    const disposition = reply.getHeader('content-disposition')
    const e: Entry = {
      stamp,
      etags: etagsOf(createHash('sha1').update(identity).digest('base64url').slice(0, 22)),
      identity,
      type: String(reply.getHeader('content-type') ?? 'application/json; charset=utf-8'),
      ...(disposition !== undefined ? { disposition: String(disposition) } : {}),
      heads: {}
    }
    cache.set(request.url, e)
    keys.set(e, request.url)
    settle(request, e)
    const out = negotiate(e, request, reply)
    if (out === null || Buffer.isBuffer(out)) return done(null, out)
    out.then((b) => done(null, b), (err: unknown) => done(err as Error))
  }

  /*
   * A hit answered before Fastify's routing (lib/front-door.ts), with the bytes and headers the hooks
   * above would send. On a 340-byte answer at ~40k requests/s a plain Fastify with one route costs
   * ~1.4x the p99 of a bare node:http server sending the same bytes (bench/api/request-cost.ts, 4 Dec),
   * its request and reply objects, hook runners and header merging more than the answer itself; a hit
   * needs none of it. Safe because a hit depends on nothing else: the URL (a key only a validated
   * request that got a 200 made), the stamp, Accept-Encoding and If-None-Match, and the headers every
   * answer gets (the only global onRequest hook, plugins/security.ts). Everything else is left to
   * Fastify: other methods, misses, a coding not made yet (or being made), and every request when
   * CORS is on (its headers depend on the Origin).
   */
  const headsOf = (e: Entry, coding: Coding, length: number): Heads => {
    const notModified: Record<string, string> = { ...app.everyAnswer.headers, vary: 'Accept-Encoding', etag: e.etags[coding], 'cache-control': 'no-cache' }
    const ok: Record<string, string> = { ...notModified, 'content-type': e.type }
    if (e.disposition !== undefined) ok['content-disposition'] = e.disposition
    if (coding !== 'identity') ok['content-encoding'] = coding
    ok['content-length'] = String(length)
    return { ok, notModified }
  }
  const front = (req: IncomingMessage, res: ServerResponse): boolean => {
    const method = req.method
    if (method !== 'GET' && method !== 'HEAD') return false
    const e = cache.get(req.url ?? '')
    if (e === undefined || !current(e.stamp)) return false
    const coding = chooseEncoding(req.headers['accept-encoding'])
    const body = coding === 'identity' ? e.identity : e[coding]
    if (!Buffer.isBuffer(body)) return false
    const heads = e.heads[coding] ??= headsOf(e, coding, body.length)
    if (ifNoneMatchHits(req.headers['if-none-match'], e.etags[coding])) {
      res.writeHead(304, heads.notModified)
      res.end()
    } else {
      res.writeHead(200, heads.ok)
      if (method === 'HEAD') res.end()
      else res.end(body)
    }
    return true
  }
  if (!app.everyAnswer.perRequest) {
    app.frontDoor.handler = front
    // from the start of closing, every request goes to Fastify (which answers 503 then)
    app.addHook('preClose', (done) => {
      app.frontDoor.handler = null
      done()
    })
  }

  // before the answer goes out: a client that reads it and asks again gets the new answers
  const countWrite: onSendHookHandler = function countWrite (_request, reply, payload, done) {
    if (reply.statusCode < 400) writes++
    done(null, payload)
  }

  /*
   * The hooks go on the routes that need them, not on every request: the cache's on the cached GET
   * (and HEAD) routes, the write count on the routes that write. A route made before this plugin
   * (none writes: the API docs) gets neither.
   */
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (route.config?.cachePerCycle === true && methods.some((m) => m === 'GET' || m === 'HEAD')) {
      // a hit is answered before any of the route's hooks run (here and at the front door)
      if ((route.config as { rateLimit?: unknown }).rateLimit !== undefined) throw new Error(`${route.url}: a cached route cannot have a rate limit (its hits are answered before the limit is counted)`)
      // first, as a global hook was: before the route's own
      route.onRequest = withHookFirst(onRequestOf(route.config.cacheVersion), route.onRequest)
      route.onSend = withHookFirst(cacheOnSend, route.onSend)
    }
    if (methods.some((m) => !READS.has(m))) route.onSend = withHookFirst(countWrite, route.onSend)
  })
}, { name: 'response-cache', dependencies: ['service', 'security'] })
