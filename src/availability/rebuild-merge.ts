import type { Accounting, Outage } from './accounting.js'
import type { AvailabilityStore } from './availability-store.js'

export interface LiveSince {
  /** devices with a live result since the start */
  seen: Set<number>
  /** each device's first live reply since the start */
  firstOk: Map<number, number>
}

/**
 * Joins the outages the rebuild found open at the end of the CSV (the service stopped during them) to
 * what the live record did since the start, so that each stays ONE outage with its true start:
 * - the live record has an outage open for the device (opened from the read-back's state, with the
 *   read-back's start): that one goes on, with the rebuilt start (its row moves to the new key);
 * - it opened one and ended it already: the rebuilt one takes its end (and the live row goes);
 * - it saw the device answer without an outage: the outage ended at that first reply;
 * - it has not seen the device yet: the live record resumes the rebuilt outage.
 * The stopped time stays not monitored in the rollups whatever the outage's span.
 */
export function continueRebuilt (open: Outage[], acc: Accounting, store: AvailabilityStore, live: LiveSince): Outage[] {
  const written: Outage[] = []
  const resume: Outage[] = []
  for (const r of open) {
    const id = r.device_id
    const cur = acc.openOutage(id)
    if (cur !== null) {
      if (cur.start !== r.start) {
        if (cur.start > r.start) store.deleteOutage(id, cur.start)
        // the live object is the record's own (Accounting.openOutage): its next writes use the new key
        cur.start = r.start
        cur.maintenance ||= r.maintenance
      }
      written.push(cur)
      continue
    }
    const after = store.outagesAfter(id, r.start)[0]
    if (after !== undefined) {
      store.deleteOutage(id, after.start)
      written.push({ ...r, end: after.end, cause: after.cause, maintenance: r.maintenance || after.maintenance })
    } else if (live.firstOk.has(id)) {
      written.push({ ...r, end: live.firstOk.get(id) as number })
    } else {
      // not seen yet, or seen failing and not yet down by the live state: it goes on as the rebuilt outage
      resume.push(r)
      written.push(r)
    }
  }
  acc.resume(resume)
  store.writeOutages(written)
  return written
}
