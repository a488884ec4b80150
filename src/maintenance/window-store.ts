import { mkdirSync, readFileSync, renameSync } from 'node:fs'
import { mkdir, open, rename } from 'node:fs/promises'
import { dirname } from 'node:path'
import { Type, type Static } from 'typebox'
import { Compile } from 'typebox/compile'
import type { Log } from '../lib/log.js'
import { WindowScopeSchema } from '../schemas/maintenance.js'
import type { MaintenanceWindow } from './maintenance-rule.js'
import type { PlannedWindow } from './window-request.js'

/** Windows over for longer than this leave the file; until then they are kept for the audit. */
export const AUDIT_KEEP_MS = 7 * 24 * 3_600_000

const StoredWindowSchema = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  scope: WindowScopeSchema,
  start: Type.Number(),
  end: Type.Number(),
  reason: Type.String(),
  created_at: Type.Number(),
  ended_at: Type.Union([Type.Number(), Type.Null()])
})

/** What the file holds (times as epoch ms, so that a change of time zone does not move a window). */
const StoreFileSchema = Type.Object({
  version: Type.Literal(1),
  next_id: Type.Integer({ minimum: 1 }),
  windows: Type.Array(Type.Unknown()),
  /** YYYYMMDD of the last overdue announcement: a restart the same day does not repeat it */
  overdue_announced_day: Type.Union([Type.String(), Type.Null()])
})
type StoreFile = Static<typeof StoreFileSchema>
const checkFile = Compile(StoreFileSchema)
const checkWindow = Compile(StoredWindowSchema)

const empty = (): StoreFile => ({ version: 1, next_id: 1, windows: [], overdue_announced_day: null })

export interface WindowStoreStatus {
  file: string
  /** the last write that failed, null once one succeeds */
  last_error: string | null
}

/**
 * The maintenance windows and the day of the last overdue announcement, kept in one small JSON file.
 * Every change is written first (a temporary file, flushed, renamed over the old one: a crash leaves
 * the old file or the new one, never half of one) and takes effect in memory only once written, so a
 * change that could not be stored did not happen. Changes are applied one at a time, in order.
 */
export class WindowStore {
  private data: StoreFile = empty()
  private chain: Promise<unknown> = Promise.resolve()
  private lastError: string | null = null

  constructor (private readonly file: string, private readonly log: Log) {}

  /**
   * Reads the file (synchronously: it is small and read once, before anything uses the windows).
   * A missing file is an empty list; an unreadable one is moved aside (…corrupt-<time>) and logged,
   * so that the next write does not destroy what an operator may still want to read.
   */
  load (now: number): void {
    let text: string
    try {
      text = readFileSync(this.file, 'utf8')
    } catch (err: any) {
      if (err.code !== 'ENOENT') this.log.error({ file: this.file, err: err.message }, 'cannot read the maintenance file; starting without windows')
      return
    }
    let parsed: unknown
    try { parsed = JSON.parse(text) } catch { parsed = undefined }
    if (!checkFile.Check(parsed)) {
      const aside = `${this.file}.corrupt-${now}`
      try {
        mkdirSync(dirname(this.file), { recursive: true })
        renameSync(this.file, aside)
      } catch {}
      this.log.error({ file: this.file, moved_to: aside }, 'the maintenance file is not valid; moved aside, starting without windows')
      return
    }
    const windows = parsed.windows.filter((w) => checkWindow.Check(w)) as MaintenanceWindow[]
    if (windows.length < parsed.windows.length) this.log.warn({ file: this.file, skipped: parsed.windows.length - windows.length }, 'maintenance windows with a bad shape were skipped')
    const maxId = windows.reduce((m, w) => Math.max(m, w.id), 0)
    this.data = { ...parsed, next_id: Math.max(parsed.next_id, maxId + 1), windows }
    this.log.info({ file: this.file, windows: windows.length }, 'maintenance windows loaded')
  }

  /** Every window still in the file (over ones included, until AUDIT_KEEP_MS after their end). */
  windows (): readonly MaintenanceWindow[] {
    return this.data.windows as MaintenanceWindow[]
  }

  overdueAnnouncedDay (): string | null {
    return this.data.overdue_announced_day
  }

  status (): WindowStoreStatus {
    return { file: this.file, last_error: this.lastError }
  }

  /** Stores a new window; resolves with it once written. Rejects (nothing changed) when the write fails. */
  add (w: PlannedWindow, now: number): Promise<MaintenanceWindow> {
    return this.change((d) => {
      const window: MaintenanceWindow = { id: d.next_id, scope: w.scope, start: w.start, end: w.end, reason: w.reason, created_at: now, ended_at: null }
      d.next_id++
      d.windows.push(window)
      return { value: window }
    }, now)
  }

  /**
   * Ends a window that has not ended yet (a future one is cancelled: it ends before it starts).
   * Resolves with the ended window, or null when there is no such window (unknown or already over).
   */
  end (id: number, now: number): Promise<MaintenanceWindow | null> {
    return this.change((d) => {
      const i = (d.windows as MaintenanceWindow[]).findIndex((w) => w.id === id && w.end > now)
      // nothing to end: nothing written
      if (i < 0) return { value: null, unchanged: true }
      const old = d.windows[i] as MaintenanceWindow
      // a future window ends before its start: it never becomes active
      const ended: MaintenanceWindow = { ...old, end: now, ended_at: now }
      d.windows[i] = ended
      return { value: ended }
    }, now)
  }

  setOverdueAnnouncedDay (day: string, now: number): Promise<void> {
    return this.change((d) => {
      d.overdue_announced_day = day
      return { value: undefined }
    }, now)
  }

  /** Resolves when every change asked for so far is written (or failed). */
  async settled (): Promise<void> {
    await this.chain.catch(() => {})
  }

  private change<T> (fn: (draft: StoreFile) => { value: T, unchanged?: boolean }, now: number): Promise<T> {
    const run = async (): Promise<T> => {
      const draft: StoreFile = { ...this.data, windows: this.data.windows.filter((w) => (w as MaintenanceWindow).end > now - AUDIT_KEEP_MS) }
      const { value: result, unchanged } = fn(draft)
      if (unchanged === true) return result
      try {
        await writeAtomically(this.file, JSON.stringify(draft, null, 1) + '\n')
        this.lastError = null
      } catch (err: any) {
        this.lastError = String(err.message)
        this.log.error({ file: this.file, err: err.message }, 'cannot write the maintenance file; the change was not made')
        throw err
      }
      this.data = draft
      return result
    }
    const p = this.chain.then(run, run)
    this.chain = p.catch(() => {})
    return p
  }
}

/** Temporary file beside the target, flushed to disk, then renamed over it (atomic on one file system). */
async function writeAtomically (file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  const fh = await open(tmp, 'w', 0o644)
  try {
    await fh.writeFile(text, 'utf8')
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, file)
}
