import type { ReportNotice } from '../alerts/notice.js'
import type { AvailabilityStore, StoredReport } from '../availability/availability-store.js'
import type { Log } from '../lib/log.js'
import { slotAtOrBefore, slotsBetween } from './report-times.js'
import { buildReport, type ReportInputs } from './shift-report.js'

export interface ReportSchedulerOptions {
  /** minutes after local midnight (parseReportTimes); [] = off */
  times: number[]
  store: () => AvailabilityStore
  inputs: ReportInputs
  /** writes what the rollups hold so far, so the report sees the period up to its end */
  flush: () => Promise<void>
  send: (notice: ReportNotice) => void
  now: () => number
  log: Log
  /** a report sent more than this after its time is marked late */
  lateAfterMs?: number
}

/** the meta key of the last time the service ran with REPORT_TIMES set */
const SEEN = 'reports_seen_at'
const SEEN_EVERY_MS = 30_000

/**
 * Shift reports at REPORT_TIMES. Each report time is owed once: the stored reports say which were
 * sent (never twice), and the last time the service ran with reports on says which passed while it
 * was stopped: those are made up for once at start, by one report marked late (never skipped). A
 * first start owes none.
 */
export class ReportScheduler {
  private lastTick: number | null = null
  private seenWritten = 0
  private running: Promise<void> | null = null

  constructor (private readonly o: ReportSchedulerOptions) {}

  get enabled (): boolean {
    return this.o.times.length > 0
  }

  /** At start: a report time missed while stopped is sent now, once, late. */
  async start (): Promise<void> {
    if (!this.enabled) return
    const now = this.o.now()
    const seen = this.o.store().getMeta(SEEN)
    this.lastTick = now
    this.markSeen(now)
    if (seen === null) return
    const owed = slotsBetween(this.o.times, Number(seen), now)
    if (owed.length > 0) await this.report(owed[owed.length - 1], now)
  }

  /** Each cycle (or timer): a report time that has passed since the last tick is reported. */
  tick (): Promise<void> {
    if (!this.enabled || this.lastTick === null) return Promise.resolve()
    if (this.running !== null) return this.running
    const now = this.o.now()
    const due = slotsBetween(this.o.times, this.lastTick, now)
    this.lastTick = now
    if (due.length === 0) {
      if (now - this.seenWritten >= SEEN_EVERY_MS) this.markSeen(now)
      return Promise.resolve()
    }
    this.running = this.report(due[due.length - 1], now).finally(() => { this.running = null })
    return this.running
  }

  /** resolves when the report being made (if any) is sent */
  idle (): Promise<void> {
    return this.running ?? Promise.resolve()
  }

  private markSeen (now: number): void {
    this.seenWritten = now
    try { this.o.store().setMeta(SEEN, String(now)) } catch (err: any) { this.o.log.error({ err: err?.message }, 'could not record the report heartbeat') }
  }

  private async report (slot: number, now: number): Promise<void> {
    const store = this.o.store()
    try {
      if (store.hasReport(slot)) return
      await this.o.flush()
      const prev = store.lastReport()
      const from = prev !== null && prev.period_to < slot ? prev.period_to : (slotAtOrBefore(this.o.times, slot - 1) ?? slot - 86_400_000)
      const late = now - slot > (this.o.lateAfterMs ?? 60_000)
      const prevCycles = prev === null ? null : Number((prev.figures as any)?.monitor?.cycles ?? NaN)
      const r = buildReport(this.o.inputs, from, slot, this.o.now(), late, Number.isFinite(prevCycles) ? prevCycles : null)
      const stored: StoredReport = { slot, at: this.o.now(), late, period_from: from, period_to: slot, title: r.title, text: r.text, figures: r.figures as unknown as Record<string, unknown> }
      // stored before it is sent: a crash between the two loses one message, never sends it twice
      store.addReport(stored)
      this.markSeen(this.o.now())
      this.o.send({ event: 'report', at: stored.at, title: r.title, text: r.text, figures: stored.figures })
      this.o.log.info({ slot: new Date(slot).toISOString(), late, from: new Date(from).toISOString() }, 'shift report sent')
    } catch (err: any) {
      this.o.log.error({ err: err?.message }, 'could not make the shift report')
    }
  }
}
