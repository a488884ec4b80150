import { Type } from 'typebox'
import { NullableMs, errorResponses } from './common.js'
import { answer, docs } from './examples.js'

/** POST /api/ping/test/:ip_address: one ping now, nothing written. */
export const testPingSchema = {
  tags: ['ping'],
  summary: 'Ping one IPv4/IPv6 address now; nothing is written',
  description: docs.testPing.description,
  security: [{ bearerAuth: [] }],
  params: Type.Object({ ip_address: Type.String({ maxLength: 64 }) }),
  response: {
    200: Type.Object({
      success: Type.Literal(true),
      ip_address: Type.String(),
      ping_result: Type.Object({ success: Type.Boolean(), response_time_ms: NullableMs, error_message: Type.String() })
    }, answer(docs.testPing)),
    ...errorResponses(400, 401, 403, 429)
  }
}
