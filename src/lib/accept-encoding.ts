/** The content codings the read answers are offered in, in the order preferred at equal q. */
export type Coding = 'br' | 'gzip' | 'identity'

/**
 * brotli before gzip at equal q: at the levels chosen (see response-cache.ts) it is about a quarter
 * smaller for the same JSON and decodes as fast; identity last, since a client that lists a coding at
 * the same q as identity has said it does not mind, and the coded answer is ~10× smaller.
 */
const PREFERENCE: readonly Coding[] = ['br', 'gzip', 'identity']

// a qvalue as RFC 9110 §12.4.2 writes it: 0, 0.x.., 1, 1.000
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/

/**
 * The coding to send for an `Accept-Encoding` value, per RFC 9110 §12.5.3:
 * - no header: identity (any coding would be acceptable, but a client that says nothing may not decode);
 * - an empty value: identity only;
 * - q-values weigh the codings; `q=0` excludes one; an invalid q-value drops its element;
 * - `*` stands for every coding not named explicitly (identity included);
 * - identity is acceptable unless `identity;q=0`, or `*;q=0` with no explicit identity entry;
 * - unknown codings are ignored; names are case-insensitive; `x-gzip` is gzip (§8.4.1.3).
 * When nothing offered is acceptable (e.g. `identity;q=0, compress`) the answer is identity all the
 * same: the RFC allows ignoring the header rather than a 406, and a JSON monitoring answer is more
 * useful than an error.
 *
 * Hand-written (50 lines) rather than taken from `negotiator` (only a dev dependency here, and it keeps
 * identity acceptable under `*;q=0`) or `@fastify/accept-negotiator` (maps `*` to the first offered
 * coding even when that coding is excluded by name, and has no notion of identity).
 */
export function chooseEncoding (header: string | undefined): Coding {
  if (header === undefined) return 'identity'
  const known = chosen.get(header)
  if (known !== undefined) return known
  const coding = parseAndChoose(header)
  // a few distinct values in practice (one per browser and client library); bounded all the same
  if (chosen.size >= CHOSEN_MAX) chosen.clear()
  chosen.set(header, coding)
  return coding
}

/*
 * The choice for each header value seen: every request of a browser sends the same value, and parsing
 * it (splits, a Map, q-values) was a measurable part of a small cached answer's cost.
 */
const chosen = new Map<string, Coding>()
const CHOSEN_MAX = 256

function parseAndChoose (header: string): Coding {
  const explicit = new Map<string, number>()
  let star: number | undefined
  for (const element of header.split(',')) {
    const [name, ...params] = element.split(';')
    let coding = name.trim().toLowerCase()
    if (coding === '') continue
    if (coding === 'x-gzip') coding = 'gzip'
    let q = 1
    let valid = true
    for (const p of params) {
      const eq = p.indexOf('=')
      if (eq < 0) continue
      if (p.slice(0, eq).trim().toLowerCase() !== 'q') continue
      const v = p.slice(eq + 1).trim()
      if (!QVALUE.test(v)) { valid = false; break }
      q = Number(v)
    }
    if (!valid) continue
    // the same coding named twice: the larger weight wins (the RFC does not say; this is the lenient reading)
    if (coding === '*') star = Math.max(star ?? 0, q)
    else explicit.set(coding, Math.max(explicit.get(coding) ?? 0, q))
  }
  const weight = (c: Coding): number => {
    const q = explicit.get(c)
    if (q !== undefined) return q
    if (star !== undefined) return star
    // not named and no `*`: a coding is not acceptable; identity is (with the lowest weight)
    return c === 'identity' ? 0.0001 : 0
  }
  let best: Coding = 'identity'
  let bestQ = 0
  for (const c of PREFERENCE) {
    const q = weight(c)
    if (q > bestQ) { best = c; bestQ = q }
  }
  return best
}

/**
 * Whether an `If-None-Match` value matches the current entity tag, with the weak comparison RFC 9110
 * §13.1.2 prescribes for it (a `W/` prefix on either side is ignored); `*` matches any current answer.
 */
export function ifNoneMatchHits (header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  const opaque = etag.startsWith('W/') ? etag.slice(2) : etag
  for (const raw of header.split(',')) {
    const tag = raw.trim()
    if (tag === '*') return true
    if ((tag.startsWith('W/') ? tag.slice(2) : tag) === opaque) return true
  }
  return false
}
