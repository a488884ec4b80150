import type { FastifyBaseLogger } from 'fastify'

type Bindings = Parameters<FastifyBaseLogger['child']>[0]
type ChildLoggerOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>

type Method = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/**
 * A request's logger (its `reqId` bound) made only when something logs through it. Fastify makes a
 * pino child for every request; with the redaction of wildcard paths (`*.password`, the secret
 * settings) pino runs every binding through the redactor, and a cached read answered in ~40 µs spent
 * ~5% of that making a logger that nothing used: requests are not logged one by one (see build.ts),
 * only errors are. The lines it writes are the child's own, unchanged.
 */
class RequestLogger {
  #child: FastifyBaseLogger | undefined
  constructor (private readonly parent: FastifyBaseLogger, private readonly bindings: Bindings, private readonly opts: ChildLoggerOptions) {}

  get real (): FastifyBaseLogger {
    this.#child ??= this.parent.child(this.bindings, this.opts)
    return this.#child
  }

  get level (): string { return this.#child?.level ?? this.opts.level ?? this.parent.level }
  set level (level: string) { this.real.level = level }

  child (bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger { return this.real.child(bindings, options) }
}

// each level's method passes its arguments, whatever their form, to the child, with the child as `this`
for (const m of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const satisfies readonly Method[]) {
  Object.defineProperty(RequestLogger.prototype, m, {
    value: function (this: RequestLogger, ...args: unknown[]) { Reflect.apply(this.real[m], this.real, args) },
    writable: true,
    configurable: true
  })
}

/** for `fastify.setChildLoggerFactory` */
export function requestLogger (logger: FastifyBaseLogger, bindings: Bindings, opts: ChildLoggerOptions): FastifyBaseLogger {
  return new RequestLogger(logger, bindings, opts) as unknown as FastifyBaseLogger
}
