import { Type } from 'typebox'

export const ErrorResponse = Type.Object({
  success: Type.Literal(false),
  error: Type.String()
}, { $id: 'ErrorResponse', description: 'Every error has this shape' })

export const ResultRowSchema = Type.Object({
  timestamp: Type.String({ description: 'ISO 8601, local time with milliseconds and UTC offset' }),
  device_id: Type.Integer(),
  ip_address: Type.String(),
  hostname: Type.String(),
  ping_success: Type.Boolean(),
  response_time_ms: Type.Union([Type.Number(), Type.Null()]),
  error_message: Type.String({ description: '"" on success' })
})

/** The error responses every route may give. */
export const errorResponses = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, { $ref: 'ErrorResponse#' }]))
