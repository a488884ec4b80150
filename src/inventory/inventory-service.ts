import type { Log } from '../lib/log.js'
import { redactSecrets } from '../config/secrets.js'
import { filterInventory, NO_LOOKUPS, type Device, type InventoryLookups, type InventoryRow, type NotPingedType, type SkippedRow } from './filter-inventory.js'

/** What one load gives: the rows, and the lookup tables' names and ping flags when they could be read. */
export interface InventoryLoadResult {
  rows: InventoryRow[]
  lookups?: InventoryLookups
}

export interface InventoryServiceOptions {
  source: string
  load: () => Promise<InventoryLoadResult>
  reloadMs: number
  /** retry pace while no inventory was ever loaded */
  firstLoadRetryMs: number
  log: Log
  /** strings that must never appear in an error we keep or log (e.g. the DB password) */
  secrets: string[]
  onChange: (devices: Device[]) => void
  now?: () => number
}

export interface InventoryStatus {
  source: string
  healthy: boolean
  loaded: boolean
  last_error: string | null
  failing_since: string | null
  last_loaded_at: string | null
  devices: number
  skipped_rows: number
  lost_rows: number
  /** rows left out because their type says ping = 0 (jenis_barangs.ping) */
  not_pinged_rows: number
  not_pinged_types: NotPingedType[]
  skipped: SkippedRow[]
}

/** new skipped rows logged one by one per load; more are summed up in one line */
export const SKIPPED_LOG_ROWS = 20

/**
 * Keeps the monitored devices: reloads them on a timer, keeps the last good list through database
 * outages, and recovers by itself.
 */
export class InventoryService {
  private list: Device[] = []
  private skipped: SkippedRow[] = []
  private lost = 0
  private notPinged: NotPingedType[] = []
  private lookupTables: InventoryLookups = NO_LOOKUPS
  private loadedAt: number | null = null
  /** successful loads so far: a version of the device list */
  loadCount = 0
  private lastError: string | null = null
  private failingSince: number | null = null
  private timer: NodeJS.Timeout | null = null
  private stopped = true
  private loading: Promise<void> | null = null
  private reported = new Set<string>()
  private readonly now: () => number

  constructor (private readonly opts: InventoryServiceOptions) {
    this.now = opts.now ?? Date.now
  }

  devices (): Device[] {
    return this.list
  }

  /** the lookup tables of the last load (every location and type, also those without devices) */
  lookups (): InventoryLookups {
    return this.lookupTables
  }

  status (): InventoryStatus {
    return {
      source: this.opts.source,
      healthy: this.lastError === null && this.loadedAt !== null,
      loaded: this.loadedAt !== null,
      last_error: this.lastError,
      failing_since: this.failingSince === null ? null : new Date(this.failingSince).toISOString(),
      last_loaded_at: this.loadedAt === null ? null : new Date(this.loadedAt).toISOString(),
      devices: this.list.length,
      skipped_rows: this.skipped.length,
      lost_rows: this.lost,
      not_pinged_rows: this.notPinged.reduce((n, t) => n + t.rows, 0),
      not_pinged_types: this.notPinged,
      skipped: this.skipped
    }
  }

  /** Loads once now, then keeps reloading on the timer. Resolves after the first attempt. */
  async start (): Promise<void> {
    if (!this.stopped) return
    this.stopped = false
    await this.reload()
  }

  async stop (): Promise<void> {
    this.stopped = true
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    await this.loading
  }

  /** One load attempt; failures are recorded, never thrown. */
  reload (): Promise<void> {
    this.loading ??= this.loadOnce().finally(() => {
      this.loading = null
      this.scheduleNext()
    })
    return this.loading
  }

  private scheduleNext (): void {
    if (this.stopped) return
    if (this.timer !== null) clearTimeout(this.timer)
    const delay = this.loadedAt === null ? Math.min(this.opts.firstLoadRetryMs, this.opts.reloadMs) : this.opts.reloadMs
    this.timer = setTimeout(() => { this.timer = null; this.reload().catch(() => {}) }, delay)
    this.timer.unref()
  }

  private async loadOnce (): Promise<void> {
    let loaded: InventoryLoadResult
    try {
      loaded = await this.opts.load()
    } catch (err: any) {
      const message = this.redact(String(err?.message ?? err))
      if (this.lastError !== message) {
        this.opts.log.error({ source: this.opts.source, err: message, keeping_devices: this.list.length }, this.loadedAt === null
          ? 'inventory database unreachable; waiting for it (retrying)'
          : 'inventory reload failed; monitoring continues with the last inventory')
      }
      this.lastError = message
      this.failingSince ??= this.now()
      return
    }
    const result = filterInventory(loaded.rows, loaded.lookups ?? NO_LOOKUPS)
    this.reportSkipped(result.skipped)
    if (this.lastError !== null) this.opts.log.info({ source: this.opts.source }, 'inventory database reachable again')
    const changed = !sameDevices(this.list, result.devices)
    const first = this.loadedAt === null
    this.list = result.devices
    this.skipped = result.skipped
    this.lost = result.lost
    this.notPinged = result.notPingedTypes
    this.lookupTables = loaded.lookups ?? NO_LOOKUPS
    this.loadedAt = this.now()
    this.loadCount++
    this.lastError = null
    this.failingSince = null
    if (first || changed) {
      this.opts.log.info({ devices: result.devices.length, skipped: result.skipped.length, hilang: result.lost, not_pinged: result.notPinged }, first ? 'inventory loaded' : 'inventory changed')
      this.opts.onChange(this.list)
    }
  }

  /**
   * Each skipped row is logged once, when it first appears: the first SKIPPED_LOG_ROWS of a load one by
   * one, the rest summed up by reason in one line (the full list is in the service status). Only the
   * rows skipped now are remembered, so a row that is fixed and breaks again is reported again.
   */
  private reportSkipped (skipped: SkippedRow[]): void {
    const key = (s: SkippedRow) => `${String(s.device_id)}|${s.ip}|${s.reason}`
    const fresh = skipped.filter((s) => !this.reported.has(key(s)))
    this.reported = new Set(skipped.map(key))
    for (const s of fresh.slice(0, SKIPPED_LOG_ROWS)) {
      this.opts.log.warn({ device_id: s.device_id, ip: s.ip.slice(0, 300), reason: s.reason }, 'skipped inventory row')
    }
    if (fresh.length > SKIPPED_LOG_ROWS) {
      const reasons: Record<string, number> = {}
      for (const s of fresh.slice(SKIPPED_LOG_ROWS)) reasons[s.reason] = (reasons[s.reason] ?? 0) + 1
      this.opts.log.warn({ rows: fresh.length - SKIPPED_LOG_ROWS, reasons, skipped_rows: skipped.length }, 'more skipped inventory rows, not logged one by one: GET /api/ping/service/status lists them all')
    }
  }

  private redact (message: string): string {
    return redactSecrets(message, this.opts.secrets).slice(0, 500)
  }
}

// every field: a device going into maintenance or moving to another location is a change the
// stages must hear about, not only a new address
function sameDevice (a: Device, b: Device): boolean {
  return a.device_id === b.device_id && a.ip_address === b.ip_address && a.hostname === b.hostname && a.family === b.family &&
    a.location.id === b.location.id && a.location.name === b.location.name && a.rack === b.rack &&
    a.type.id === b.type.id && a.type.name === b.type.name && a.merk === b.merk && a.os === b.os &&
    a.kondisi === b.kondisi && a.maintenance_until === b.maintenance_until
}

function sameDevices (a: Device[], b: Device[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (!sameDevice(a[i], b[i])) return false
  return true
}
