import { Type, type Static, type TSchema } from 'typebox'

export const ErrorResponse = Type.Object({
  success: Type.Literal(false),
  error: Type.String()
}, { $id: 'ErrorResponse', description: 'Every error has this shape', examples: [{ success: false, error: 'Invalid request: querystring/hours must be > 0' }] })

/**
 * `T or null` as a JSON-schema type list: fast-json-stringify serialises it directly, where an
 * anyOf (TypeBox's Union) makes it run a validator on every value it writes.
 */
export const Nullable = <T extends TSchema>(schema: T, options: Record<string, unknown> = {}) =>
  Type.Unsafe<Static<T> | null>({ ...schema, type: [(schema as unknown as { type: string }).type, 'null'], ...options })

/** A string from a fixed list, as a plain enum (serialised without a validator, unlike an anyOf of literals). */
export const StringEnum = <const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })

/** A device's state as the state tracker sees it (see src/state/device-state.ts). */
export const DeviceStateEnum = (options: Record<string, unknown> = {}) => StringEnum(['unknown', 'up', 'down', 'flapping', 'unreachable'], options)

/** A device id in a path or query string. */
export const DeviceId = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })

export const NullableMs = Nullable(Type.Number())

/** One ping result as stored in CSV and served by the API. */
export const ResultRowSchema = Type.Object({
  timestamp: Type.String({ description: 'ISO 8601, local time with milliseconds and UTC offset' }),
  device_id: Type.Integer(),
  ip_address: Type.String(),
  hostname: Type.String(),
  ping_success: Type.Boolean(),
  response_time_ms: Nullable(Type.Number()),
  error_message: Type.String({ description: '"" on success' })
})

/** The error responses every route may give. */
export const errorResponses = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, { $ref: 'ErrorResponse#' }]))
