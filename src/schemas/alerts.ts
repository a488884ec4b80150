import { Type } from 'typebox'
import { Nullable, errorResponses } from './common.js'
import { answer, docs } from './examples.js'

/** POST /api/alerts/test?channel=NAME: one test message to one channel now. */
export const alertTestSchema = {
  tags: ['service'],
  summary: 'Send a test message to one alert channel now and answer with what the provider said',
  description: docs.alertTest.description,
  security: [{ bearerAuth: [] }],
  querystring: Type.Object({ channel: Type.String({ minLength: 1, maxLength: 64 }) }),
  response: {
    200: Type.Object({
      success: Type.Literal(true),
      channel: Type.String(),
      type: Type.String(),
      answer: Nullable(Type.String({ description: "the provider's answer: status and an excerpt, secrets removed" }))
    }, answer(docs.alertTest)),
    ...errorResponses(400, 401, 403, 404, 429, 502)
  }
}
