import Database from 'better-sqlite3'
import { queryAvailability, type AvailabilityAnswer, type AvailabilityQuery } from '../src/availability/availability-query.js'

/**
 * Piscina task: one availability query on a read-only connection of this thread's own. A 90-day
 * query over thousands of devices sums over a million rows; here it never stalls the cycles.
 */
const connections = new Map<string, Database.Database>()

export default function query (task: { file: string, q: AvailabilityQuery }): AvailabilityAnswer {
  let db = connections.get(task.file)
  if (db === undefined) {
    db = new Database(task.file, { readonly: true })
    connections.set(task.file, db)
  }
  return queryAvailability(db, task.q)
}
