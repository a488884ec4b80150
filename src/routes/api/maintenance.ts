import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifySchemaCompiler } from 'fastify'
import type { TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import { BadMaintenance } from '../../errors.js'
import { createWindowSchema, endWindowSchema, listWindowsSchema } from '../../schemas/maintenance.js'

const DEVICES_LISTED_MAX = 1000

/**
 * The body of POST /api/maintenance checked as it was sent: the app's shared ajv removes unknown
 * fields and coerces types (right for query strings), which would turn `{"scope": {"devices": [1]}}`
 * into some other scope instead of refusing it. One sentence per refusal, naming the field.
 */
const strictBody: FastifySchemaCompiler<TSchema> = ({ schema }) => {
  const check = Compile(schema)
  return (value: unknown) => {
    if (check.Check(value)) return { value }
    const errors = [...check.Errors(value)]
    const scope = errors.find((e) => e.instancePath.startsWith('/scope'))
    const extra = errors.find((e) => e.keyword === 'additionalProperties' && e.instancePath === '')
    const first = errors.find((e) => e.keyword !== 'boolean') ?? errors[0]
    const message = value === null || typeof value !== 'object' || Array.isArray(value)
      ? 'the body must be a JSON object'
      : extra !== undefined
        ? `unknown field(s) in the body: ${String((extra.params as { additionalProperties?: string[] }).additionalProperties?.join(', ')).slice(0, 200)}`
        : scope !== undefined
          ? 'body/scope must be "all" or an object with one key, device_ids, location_ids or type_ids, holding a non-empty list of distinct whole numbers >= 0'
          : `body${first.instancePath} ${first.message}`
    return { error: new BadMaintenance(message) }
  }
}

const maintenanceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const controlLimit = { rateLimit: { max: app.config.CONTROL_RATE_LIMIT, timeWindow: '1 minute' } }

  app.post('/maintenance', {
    schema: createWindowSchema,
    validatorCompiler: strictBody,
    // before the body is even parsed: a stranger learns nothing about what would be accepted
    onRequest: app.requireControlAccess,
    config: controlLimit
  }, async (request, reply) => {
    const data = await app.maintenance.create(request.body)
    return reply.code(201).send({ success: true as const, data })
  })

  app.get('/maintenance', { schema: listWindowsSchema, config: { cachePerCycle: true } }, async () => {
    const { devices, omitted } = app.maintenance.devices(DEVICES_LISTED_MAX)
    return { success: true as const, data: { windows: app.maintenance.windows(), summary: app.maintenance.summary(), devices, devices_omitted: omitted } }
  })

  app.delete('/maintenance/:id', { schema: endWindowSchema, onRequest: app.requireControlAccess, config: controlLimit }, async (request) => {
    return { success: true as const, data: await app.maintenance.end(request.params.id) }
  })
}

export default maintenanceRoutes
