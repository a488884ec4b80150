import fp from 'fastify-plugin'
import { CsvWriter } from '../storage/csv-writer.js'

declare module 'fastify' {
  interface FastifyInstance {
    resultWriter: CsvWriter
  }
}

export default fp(async (app) => {
  const c = app.config
  const writer = new CsvWriter({
    dir: c.CSV_OUTPUT_DIR,
    maxRecords: c.MAX_CSV_RECORDS,
    retentionDays: c.CSV_RETENTION_DAYS,
    bufferMaxRows: c.CSV_BUFFER_MAX_ROWS,
    log: app.log
  })
  app.decorate('resultWriter', writer)
  app.addHook('onClose', async () => {
    await writer.drain()
    const left = writer.status().pending_rows
    if (left > 0) app.log.error({ rows: left }, 'results that could not be written to CSV before exit are lost')
  })
}, { name: 'result-writer', dependencies: ['config'] })
