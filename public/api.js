// Talking to the service: JSON reads, and control POSTs that carry the API key when one is stored.
const KEY_STORAGE = 'mpm.apiKey'

export class ApiError extends Error {
  constructor (message, status) {
    super(message)
    this.status = status
  }
}

/** URLs relative to the page, so the dashboard also works behind a reverse proxy under a sub-path. */
const url = (path) => new URL(path, document.baseURI)

async function parse (res) {
  let body = null
  try { body = await res.json() } catch { /* not JSON: the status line says enough */ }
  if (!res.ok || body?.success === false) {
    throw new ApiError(body?.error ?? `${res.status} ${res.statusText}`, res.status)
  }
  return body
}

export async function getJSON (path, { signal } = {}) {
  let res
  try {
    // no-cache, not no-store: the browser keeps the last answer and asks with If-None-Match, so an
    // answer that did not change since (same cycle) comes back as a body-less 304 and is served from
    // its cache; the answers come compressed (the browser sends Accept-Encoding: gzip, br)
    res = await fetch(url(path), { headers: { accept: 'application/json' }, cache: 'no-cache', signal })
  } catch (err) {
    if (err.name === 'AbortError') throw err
    throw new ApiError('Cannot reach the service', 0)
  }
  return parse(res)
}

export function storedKey () {
  try { return localStorage.getItem(KEY_STORAGE) ?? '' } catch { return '' }
}

export function storeKey (key) {
  try {
    if (key === '') localStorage.removeItem(KEY_STORAGE)
    else localStorage.setItem(KEY_STORAGE, key)
  } catch { /* private mode: the key lasts for this page only */ }
}

/**
 * POST to a control route. `askKey(reason)` is called on 401 and resolves to true when the user
 * entered a key; the request is then retried once with it.
 */
export async function post (path, askKey) {
  for (let attempt = 0; ; attempt++) {
    const key = storedKey()
    const headers = { accept: 'application/json' }
    if (key !== '') headers.authorization = `Bearer ${key}`
    let res
    try {
      res = await fetch(url(path), { method: 'POST', headers, cache: 'no-store' })
    } catch {
      throw new ApiError('Cannot reach the service', 0)
    }
    if (res.status === 401 && attempt === 0 && askKey !== undefined) {
      const reason = key === '' ? 'This server needs its API key for control actions.' : 'The stored API key was refused.'
      if (await askKey(reason)) continue
    }
    return parse(res)
  }
}
