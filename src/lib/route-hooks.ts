/**
 * A route option's hooks with `hook` put first, as a new array: a route may give one function, an
 * array or none, and Fastify's automatic HEAD route shares the GET route's options, so the array it
 * holds is never changed in place (the hook would run twice on one of them). Used by the plugins that
 * add their hooks from onRoute to the routes that need them, first, where a global hook would run.
 */
export function withHookFirst<T> (hook: T, existing: T | T[] | undefined): T[] {
  return existing === undefined ? [hook] : Array.isArray(existing) ? [hook, ...existing] : [hook, existing]
}
