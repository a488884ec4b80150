import { Piscina } from 'piscina'
import type { Device } from '../inventory/filter-inventory.js'
import type { Log } from '../lib/log.js'
import type { Stage } from '../pipeline.js'
import type { StateSettings } from '../state/device-state.js'
import { Accounting, HOUR_MS, type AccountingDeps, type DeviceRefs, type Outage, type Rollup } from './accounting.js'
import { queryAvailability, wholeHours, type AvailabilityAnswer, type AvailabilityQuery } from './availability-query.js'
import { AvailabilityStore, DAY_MS, type OutageFilter } from './availability-store.js'
import { rebuildFromCsv } from './rebuild.js'

export interface AvailabilityOptions {
  file: string
  /** days of rollups, outages and reports kept */
  days: number
  intervalS: number
  csvDir: string
  stateSettings: StateSettings
  log: Log
  now: () => number
  stateOf: AccountingDeps['stateOf']
  /** issue 13 plugs its maintenance module and site detection in here; defaults: none, own failure */
  maintenanceOf?: AccountingDeps['maintenanceOf']
  causeOf?: AccountingDeps['causeOf']
  /** rows written per turn of the event loop while flushing */
  chunkRows?: number
  /** ms between flushes (besides each hour boundary); default one minute */
  flushEveryMs?: number
}

export interface AvailabilityStatus {
  file: string
  pending_rollups: number
  last_flush_ms: number | null
  rebuilding: boolean
  write_errors: number
  last_error: string | null
  /** service runs: the previous run's last heartbeat (epoch ms), null on a first start */
  previous_seen_at: number | null
}

export interface Availability {
  stage: Stage
  /** the store, opened at first use */
  readonly store: AvailabilityStore
  /** Opens the record: outages open at the last stop go on; the gap since then is not monitored; missing hours are rebuilt from CSV. */
  start: () => void
  /** Writes what was accumulated (spread over a few turns of the event loop, one transaction). */
  flush: () => Promise<void>
  /** on the main thread (the shift reports, three a day) */
  query: (q: AvailabilityQuery) => AvailabilityAnswer
  /** in a worker thread, shared by the same questions asked meanwhile (the routes) */
  queryAsync: (q: AvailabilityQuery) => Promise<AvailabilityAnswer>
  outages: (f: OutageFilter) => Outage[]
  /**
   * Changes whenever an answer of the routes may: a write of the store (flush, outages begun or
   * ended, the end of the rebuild) or a new minute (the answers take "now" to the minute). The
   * response cache keeps the routes' answers until it changes, across cycles.
   */
  version: () => string
  /** the rebuild from CSV at start, for tests and benches */
  rebuilt: () => Promise<void>
  status: () => AvailabilityStatus
  close: () => Promise<void>
}

// run the worker from source (.ts) under the test loader, from dist/ (.js) when built
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
const QUERY_WORKER = new URL(`../../workers/availability-query${ext}`, import.meta.url).href

const NO_REFS: DeviceRefs = { location_id: null, type_id: null, rack: null }
const CACHE_MAX = 200

/**
 * Outages and hourly rollups as a pipeline stage, with their store. The stage is ordered: it reads
 * the state the device state stage has just given each result, so it must see live cycles in the
 * same order and after it.
 */
export function createAvailability (o: AvailabilityOptions): Availability {
  // opened at first use (start, or a request before it): building the service touches no file
  let opened: AvailabilityStore | null = null
  const storeOf = () => (opened ??= new AvailabilityStore(o.file))
  const refs = new Map<number, DeviceRefs>()
  const refsOf = (id: number) => refs.get(id) ?? NO_REFS
  const acc = new Accounting({ intervalS: o.intervalS, stateOf: o.stateOf, maintenanceOf: o.maintenanceOf, causeOf: o.causeOf, refsOf })
  const chunk = o.chunkRows ?? 2000
  let lastAt = -Infinity
  let hourOfLast = -1
  let flushing: Promise<void> | null = null
  let lastFlushMs: number | null = null
  let writeErrors = 0
  let lastError: string | null = null
  let previousSeen: number | null = null
  let rebuild: Promise<void> = Promise.resolve()
  let rebuilding = false
  let timer: NodeJS.Timeout | null = null
  let generation = 0
  // outages written between flushes (each cycle that began or ended one): the outages route shows them at once
  let outageWrites = 0
  const cache = new Map<string, AvailabilityAnswer>()
  const inFlight = new Map<string, Promise<AvailabilityAnswer>>()
  let pool: Piscina | null = null
  let lastPrune = 0

  // whole hours, and "now" to the minute (what the minute's flush changes): the same question is
  // answered once per minute and per write, not once per request
  const normalise = (asked: AvailabilityQuery) => {
    const { from, to } = wholeHours(asked.fromMs, asked.toMs)
    const q = { ...asked, fromMs: from, toMs: to, nowMs: Math.floor(asked.nowMs / 60_000) * 60_000 }
    return { q, key: `${generation}|${JSON.stringify(q)}` }
  }
  const remember = (key: string, a: AvailabilityAnswer) => {
    if (cache.size >= CACHE_MAX) cache.clear()
    cache.set(key, a)
    return a
  }

  const fail = (err: any, what: string) => {
    writeErrors++
    lastError = String(err?.message ?? err)
    o.log.error({ err: lastError, file: o.file }, what)
  }

  const writeOutages = () => {
    const changed = acc.takeOutageChanges()
    if (changed.length === 0) return
    try {
      storeOf().writeOutages(changed)
      outageWrites++
    } catch (err) { fail(err, 'could not write outages') }
  }

  const setDevices = (devices: Device[]) => {
    refs.clear()
    for (const d of devices) refs.set(d.device_id, { location_id: d.location.id, type_id: d.type.id, rack: d.rack })
  }

  const doFlush = async (): Promise<void> => {
    const rows: Rollup[] = acc.takeRollups()
    const until = lastAt
    const outagesChanged = acc.takeOutageChanges()
    const started = performance.now()
    storeOf().begin()
    try {
      storeOf().writeOutages(outagesChanged)
      for (let i = 0; i < rows.length; i += chunk) {
        storeOf().addRollups(rows.slice(i, i + chunk))
        // the cycle and the requests go on between chunks: one transaction, never one big sync write
        if (i + chunk < rows.length) await new Promise((resolve) => setImmediate(resolve))
      }
      if (until > -Infinity) storeOf().setMeta('flushed_until', String(until))
      storeOf().setMeta('last_seen', String(o.now()))
      storeOf().commit()
      generation++
      lastFlushMs = Math.round((performance.now() - started) * 10) / 10
    } catch (err) {
      storeOf().rollback()
      fail(err, 'could not write availability rollups')
    }
    const now = o.now()
    if (now - lastPrune > DAY_MS) {
      lastPrune = now
      try { storeOf().prune(now - o.days * DAY_MS) } catch (err) { fail(err, 'could not prune the availability store') }
    }
  }

  const flush = async (): Promise<void> => {
    // one flush at a time; a call during one waits for it and then writes what came meanwhile
    // eslint-disable-next-line no-unmodified-loop-condition -- set and cleared by the flush awaited
    while (flushing !== null) await flushing
    flushing = doFlush().finally(() => { flushing = null })
    return await flushing
  }

  const stage: Stage = {
    name: 'availability',
    ordered: true,
    cycle: (cycle) => {
      for (const { row, at } of cycle.rows) {
        acc.add({ device_id: row.device_id, at, success: row.ping_success, rtt_ms: row.response_time_ms })
        if (at > lastAt) lastAt = at
      }
      if (flushing === null) writeOutages()
      const hour = Math.floor(lastAt / HOUR_MS)
      if (hour !== hourOfLast) {
        if (hourOfLast !== -1) flush().catch(() => {})
        hourOfLast = hour
      }
    },
    inventory: (devices) => {
      setDevices(devices)
      acc.retain(new Set(devices.map((d) => d.device_id)), o.now())
    }
  }

  return {
    stage,
    get store () { return storeOf() },
    start: () => {
      try {
        storeOf()
      } catch (err) {
        // the monitor goes on without its record; the stage's failures are counted in pipeline.status()
        fail(err, 'cannot open the availability store; outages and rollups are not recorded')
        return
      }
      const now = o.now()
      const seen = storeOf().getMeta('last_seen')
      previousSeen = seen === null ? null : Number(seen)
      const open = storeOf().openOutages()
      acc.resume(open)
      if (previousSeen !== null) o.log.info({ from: new Date(previousSeen).toISOString(), to: new Date(now).toISOString(), open_outages: open.length }, 'not monitored while the service was stopped')
      storeOf().setMeta('last_seen', String(now))
      const flushedUntil = storeOf().getMeta('flushed_until')
      const from = flushedUntil === null ? now - o.days * DAY_MS : Number(flushedUntil) + 1
      if (from < now) {
        rebuilding = true
        const t0 = o.now()
        rebuild = rebuildFromCsv({ dir: o.csvDir, fromMs: from, toMs: now, settings: o.stateSettings, intervalS: o.intervalS, refsOf, store: storeOf(), log: o.log, now: o.now })
          .then((r) => {
            generation++
            if (r.rows > 0) o.log.info({ rows: r.rows, rollups: r.rollups, duration_ms: o.now() - t0 }, 'availability rollups rebuilt from CSV')
          })
          .catch((err) => fail(err, 'could not rebuild availability rollups from CSV'))
          .finally(() => { rebuilding = false })
      }
      timer = setInterval(() => { flush().catch(() => {}) }, o.flushEveryMs ?? 60_000)
      timer.unref()
    },
    flush,
    query: (asked) => {
      const { q, key } = normalise(asked)
      const hit = cache.get(key)
      if (hit !== undefined) return hit
      return remember(key, queryAvailability(storeOf().reader, q))
    },
    queryAsync: async (asked) => {
      const { q, key } = normalise(asked)
      const hit = cache.get(key) ?? inFlight.get(key)
      if (hit !== undefined) return await hit
      if (o.file === ':memory:') return remember(key, queryAvailability(storeOf().reader, q))
      storeOf()
      pool ??= new Piscina({ filename: QUERY_WORKER, minThreads: 0, maxThreads: 1, idleTimeout: 60_000 })
      const p = (pool.run({ file: o.file, q }) as Promise<AvailabilityAnswer>)
        .then((a) => remember(key, a))
        .finally(() => inFlight.delete(key))
      inFlight.set(key, p)
      return await p
    },
    outages: (f) => storeOf().outages(f),
    version: () => `${generation}.${outageWrites}|${Math.floor(o.now() / 60_000)}`,
    rebuilt: () => rebuild,
    status: () => ({ file: o.file, pending_rollups: acc.size, last_flush_ms: lastFlushMs, rebuilding, write_errors: writeErrors, last_error: lastError, previous_seen_at: previousSeen }),
    close: async () => {
      if (timer !== null) clearInterval(timer)
      timer = null
      await pool?.destroy()
      pool = null
      await rebuild
      if (opened === null) return
      await flush()
      opened.close()
      opened = null
    }
  }
}
