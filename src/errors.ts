import createError from '@fastify/error'

// Every error code the API answers with, in one place. The error handler (src/plugins/errors.ts)
// sends each as { success: false, error: <message> } with its status.

/** A number in the path or query string that ajv let through as Infinity (or 1e400). */
export const NotFinite = createError('MPM_ERR_NOT_FINITE', 'Invalid request: %s/%s must be a finite number', 400)

export const Unauthorized = createError('MPM_ERR_UNAUTHORIZED', 'A valid "Authorization: Bearer <API_KEY>" header is required', 401)
export const Forbidden = createError('MPM_ERR_FORBIDDEN', 'Control routes answer only loopback clients when no API_KEY is set', 403)
export const TooMany = createError('MPM_ERR_RATE_LIMIT', 'Too many requests: at most %s per %s, retry later', 429)

export const UnknownDevice = createError('MPM_ERR_UNKNOWN_DEVICE', 'Device %s is not monitored and has no results in the last %s hours', 404)
export const TooManyBuckets = createError('MPM_ERR_TOO_MANY_BUCKETS', 'At most %s buckets: use bucket=%s or more for this window', 400)
export const UnknownChannel = createError('MPM_ERR_UNKNOWN_CHANNEL', 'No alert channel named %s (channels: %s)', 404)
export const NotAnIp = createError('MPM_ERR_NOT_AN_IP', 'Not an IPv4 or IPv6 address: %s', 400)

export const BadMaintenance = createError('MPM_ERR_BAD_MAINTENANCE', 'Invalid request: %s', 400)
export const UnknownWindow = createError('MPM_ERR_UNKNOWN_WINDOW', 'No active or future maintenance window has id %s', 404)
export const TooManyWindows = createError('MPM_ERR_TOO_MANY_WINDOWS', 'At most %s active and future maintenance windows: end some first', 400)
/** the window file could not be written: nothing was changed (the body says only "Service unavailable") */
export const NotStored = createError('MPM_ERR_NOT_STORED', 'The maintenance file could not be written', 503)
// /api/ping/availability, /outages: windows the record can answer
export const BadWindow = createError('MPM_ERR_BAD_WINDOW', 'Invalid window: %s', 400)
