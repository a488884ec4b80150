import { Piscina } from 'piscina'
import type { Device } from '../inventory/filter-inventory.js'
import type { Log } from '../lib/log.js'
import type { Stage } from '../pipeline.js'
import type { StateSettings } from '../state/device-state.js'
import { Accounting, HOUR_MS, type AccountingDeps, type DeviceRefs, type Outage } from './accounting.js'
import { queryAvailability, wholeHours, type AvailabilityAnswer, type AvailabilityQuery } from './availability-query.js'
import { AvailabilityStore, DAY_MS, GROUPS_META, type OutageFilter } from './availability-store.js'
import { rebuildFromCsv } from './rebuild.js'
import { continueRebuilt, type LiveSince } from './rebuild-merge.js'
import type { MaintenanceWindow } from '../maintenance/maintenance-rule.js'

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
  /** the stored maintenance windows (issue 13's window store): the rebuild from CSV counts their time as maintenance */
  maintenanceWindows?: () => MaintenanceWindow[]
  /** rows written per turn of the event loop while flushing */
  chunkRows?: number
  /** ms between flushes (besides each hour boundary); default one minute */
  flushEveryMs?: number
}

export interface AvailabilityStatus {
  /** false from a failure (opening, writing, rebuilding, pruning) until the next flush that commits */
  healthy: boolean
  failing_since: string | null
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
  /** in a worker thread, as of the last write, shared by the same questions asked meanwhile (the routes) */
  queryAsync: (q: AvailabilityQuery) => Promise<AvailabilityAnswer>
  /** changes with each write shown to queryAsync (the route's cached bytes follow it) */
  version: () => number
  outages: (f: OutageFilter) => Outage[]
  /** changes with each write of outages (begun or ended; between flushes): the outages route's cached bytes follow it */
  outagesVersion: () => number
  /** the rebuild from CSV at start (and the group rows of an older store), for tests and benches */
  rebuilt: () => Promise<void>
  status: () => AvailabilityStatus
  close: () => Promise<void>
}

// run the worker from source (.ts) under the test loader, from dist/ (.js) when built
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
const QUERY_WORKER = new URL(`../../workers/availability-query${ext}`, import.meta.url).href

const NO_REFS: DeviceRefs = { location_id: null, type_id: null, rack: null }
/** a store that could not be opened is tried again after 1 s, doubling to 30 s (as the CSV and event writers retry) */
const RETRY_FIRST_MS = 1000
const RETRY_MAX_MS = 30_000
const CACHE_MAX = 200
/** questions answered again after each write: the last RECENT_MAX asked within RECENT_MS */
const RECENT_MAX = 32
const RECENT_MS = 10 * 60_000

/**
 * Outages and hourly rollups as a pipeline stage, with their store. The stage is ordered: it reads
 * the state the device state stage has just given each result, so it must see live cycles in the
 * same order and after it.
 */
export function createAvailability (o: AvailabilityOptions): Availability {
  // opened at first use (start, or a request before it): building the service touches no file
  let opened: AvailabilityStore | null = null
  let openError: unknown = null
  let retry: NodeJS.Timeout | null = null
  let retryMs = RETRY_FIRST_MS
  let closing = false
  /** start() was called: a retry that opens the store runs the start-up steps (openRecord) */
  let starting = false
  /** the record is open: the start-up steps ran, flushes and outage writes go to the store */
  let ready = false
  const storeOf = (): AvailabilityStore => {
    if (opened !== null) return opened
    // after a failed open the next try waits for the retry timer: not one per cycle and per request
    if (retry !== null) throw openError
    try {
      opened = new AvailabilityStore(o.file)
    } catch (err) {
      openError = err
      retry = setTimeout(() => {
        retry = null
        if (!starting || closing) return
        // a timer's throw would end the process: a start-up step that fails is counted as the store's failure
        try { openRecord(true) } catch (e) { fail(e, 'could not start the availability record') }
      }, retryMs)
      retry.unref()
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS)
      throw err
    }
    retryMs = RETRY_FIRST_MS
    return opened
  }
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
  let failingSince: number | null = null
  let previousSeen: number | null = null
  let rebuild: Promise<void> = Promise.resolve()
  let rebuilding = false
  // what the live record saw while the rebuild ran (to join an outage open across the restart)
  let live: LiveSince | null = null
  let startedAt = 0
  let timer: NodeJS.Timeout | null = null
  let generation = 0
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
  // the routes' answers are taken as of the last write (asOf), and the questions asked lately are
  // answered again after each write, before it is shown: a request never waits for a long query
  // (one a minute in the worker) unless it asks something new or a window moves to a new hour
  let asOf = o.now()
  const recent = new Map<string, { asked: AvailabilityQuery, at: number }>()
  const normaliseAsync = (asked: AvailabilityQuery, gen = generation, at = asOf) => {
    const { from, to } = wholeHours(asked.fromMs, asked.toMs)
    const q = { ...asked, fromMs: from, toMs: to, nowMs: at }
    return { q, key: `a${gen}|${JSON.stringify(q)}` }
  }
  const publish = (at: number) => {
    generation++
    asOf = at
  }
  const remember = (key: string, a: AvailabilityAnswer) => {
    if (cache.size >= CACHE_MAX) cache.clear()
    cache.set(key, a)
    return a
  }

  let backfill: Promise<void> = Promise.resolve()

  /**
   * A store written before the group rows existed gets them for every stored hour and day, one per
   * turn of the event loop, in flushes' transactions or short ones of its own; the group queries sum
   * the device rows until the last one is made.
   */
  const backfillGroups = async (): Promise<void> => {
    const t0 = o.now()
    try {
      const { hours, days } = storeOf().storedSpans()
      o.log.info({ hours: hours.length, days: days.length }, 'adding location, type and rack rollups to an older availability store')
      const spans = [...hours.map((h) => ['hour', h] as const), ...days.map((d) => ['day', d] as const)]
      for (const [span, at] of spans) {
        if (closing) return
        storeOf().regroup(span, at)
        await new Promise((resolve) => setImmediate(resolve))
      }
      storeOf().setMeta(GROUPS_META, '1')
      publish(o.now())
      o.log.info({ duration_ms: o.now() - t0 }, 'location, type and rack rollups added')
    } catch (err) { fail(err, 'could not add group rollups to the availability store') }
  }

  const compute = async (q: AvailabilityQuery, key: string): Promise<AvailabilityAnswer> => {
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
  }

  /** the questions asked in the last RECENT_MS, answered as of `at` under generation `gen` */
  const warm = async (gen: number, at: number): Promise<void> => {
    if (o.file === ':memory:' || pool === null) return
    const jobs: Array<Promise<unknown>> = []
    for (const [param, r] of recent) {
      if (at - r.at > RECENT_MS) { recent.delete(param); continue }
      const span = r.asked.toMs - r.asked.fromMs
      const asked = r.asked.toMs === r.asked.nowMs ? { ...r.asked, fromMs: at - span, toMs: at, nowMs: at } : r.asked
      const { q, key } = normaliseAsync(asked, gen, at)
      jobs.push(compute(q, key).catch(() => {}))
    }
    await Promise.all(jobs)
  }

  const fail = (err: any, what: string) => {
    writeErrors++
    failingSince ??= o.now()
    lastError = String(err?.message ?? err)
    o.log.error({ err: lastError, file: o.file }, what)
  }

  const writeOutages = () => {
    const changed = acc.takeOutageChanges()
    if (changed.length === 0) return
    try {
      storeOf().writeOutages(changed)
      outageWrites++
    } catch (err) {
      // they go again with the next cycle's or flush's
      acc.restoreOutages(changed)
      fail(err, 'could not write outages')
    }
  }

  const setDevices = (devices: Device[]) => {
    refs.clear()
    // one object per place (location, type, rack), shared by its devices and by the rollup rows that
    // point at it: an object per device was 50,000 of them (~2.4 MB) at 50,000 devices. Read only.
    const places = new Map<string, DeviceRefs>()
    for (const d of devices) {
      const key = JSON.stringify([d.location.id, d.type.id, d.rack])
      let r = places.get(key)
      if (r === undefined) {
        r = Object.freeze({ location_id: d.location.id, type_id: d.type.id, rack: d.rack })
        places.set(key, r)
      }
      refs.set(d.device_id, r)
    }
  }

  const doFlush = async (): Promise<void> => {
    // not open yet (the open failed at start): everything waits in the accounting for the retry
    if (!ready) return
    // rows are made a chunk at a time from the accounting's columns (src/availability/accounting.ts)
    const rows = acc.takeRollupSet()
    const until = lastAt
    const outagesChanged = acc.takeOutageChanges()
    const started = performance.now()
    let written = false
    try {
      storeOf().begin()
      storeOf().writeOutages(outagesChanged)
      for (let i = 0; i < rows.size; i += chunk) {
        storeOf().addRollups(rows.rows(i, i + chunk))
        // the cycle and the requests go on between chunks: one transaction, never one big sync write
        if (i + chunk < rows.size) await new Promise((resolve) => setImmediate(resolve))
      }
      // the group rows of the hours and days just written, in the same transaction (a reader never
      // sees a group that differs from its devices), one hour or day per turn
      while (storeOf().regroupOne()) await new Promise((resolve) => setImmediate(resolve))
      if (until > -Infinity) storeOf().setMeta('flushed_until', String(until))
      storeOf().setMeta('last_seen', String(o.now()))
      storeOf().commit()
      written = true
      // as the CSV writer's health: the failure is over (write_errors keeps the count)
      failingSince = null
      lastError = null
      // a flush that wrote no result and no outage (the monitor stopped) changes no answer: publishing
      // it anyway would give every cached answer a new ETag, and a dashboard's revalidation a 200
      // instead of a 304, once a minute for nothing
      if (rows.size > 0 || outagesChanged.length > 0) {
        const at = o.now()
        await warm(generation + 1, at)
        publish(at)
      }
      lastFlushMs = Math.round((performance.now() - started) * 10) / 10
    } catch (err) {
      try { storeOf().rollback() } catch {}
      // nothing of it is in the store: the next flush writes it with what came meanwhile
      if (!written) acc.restore(rows, outagesChanged)
      fail(err, 'could not write availability rollups')
    } finally {
      rows.release()
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

  /**
   * The start-up steps, once the store opens (at start, or on a retry when it could not: a full disk,
   * a directory not there yet). Outages open at the last stop go on; the gap since then is not
   * monitored; the hours up to the start are rebuilt from CSV (the live record counts those after it).
   */
  const openRecord = (late: boolean): void => {
    if (ready || closing) return
    try {
      storeOf()
    } catch (err) {
      // the monitor goes on; the rollups and outages wait in memory for the retry (storeOf's timer)
      fail(err, 'cannot open the availability store; outages and rollups wait in memory until it opens')
      return
    }
    ready = true
    const seen = storeOf().getMeta('last_seen')
    previousSeen = seen === null ? null : Number(seen)
    const open = storeOf().openOutages()
    if (previousSeen !== null) o.log.info({ from: new Date(previousSeen).toISOString(), to: new Date(startedAt).toISOString(), open_outages: open.length }, 'not monitored while the service was stopped')
    // the heartbeat is the only write here: on a disk with room to open the store but not to write,
    // it fails like a flush (the next flush writes it again), and the rest of the start-up goes on
    try { storeOf().setMeta('last_seen', String(o.now())) } catch (err) { fail(err, 'could not write the availability heartbeat') }
    if (storeOf().getMeta(GROUPS_META) === null) backfill = backfillGroups()
    const flushedUntil = storeOf().getMeta('flushed_until')
    const from = flushedUntil === null ? startedAt - o.days * DAY_MS : Number(flushedUntil) + 1
    if (from < startedAt) {
      // the outages open at the stop go on in the rebuild (which may see them end before the stop);
      // the live record takes them, or the ones that followed, once it is done (continueRebuilt)
      rebuilding = true
      const t0 = o.now()
      rebuild = rebuildFromCsv({
        dir: o.csvDir,
        fromMs: from,
        toMs: startedAt,
        settings: o.stateSettings,
        intervalS: o.intervalS,
        refsOf,
        devices: () => [...refs.keys()],
        store: storeOf(),
        log: o.log,
        now: o.now,
        open,
        windows: o.maintenanceWindows?.() ?? [],
        // one writer: the rebuild's short transactions wait for a flush's to end
        // eslint-disable-next-line no-unmodified-loop-condition -- set and cleared by the flush awaited
        writable: async () => { while (flushing !== null) await flushing }
      })
        .then(async (r) => {
          // eslint-disable-next-line no-unmodified-loop-condition -- set and cleared by the flush awaited
          while (flushing !== null) await flushing
          const joined = continueRebuilt(r.open, acc, storeOf(), live as LiveSince)
          outageWrites++
          publish(o.now())
          if (r.rows > 0) o.log.info({ rows: r.rows, rollups: r.rollups, outages: r.outages, open_outages: joined.length, malformed: r.malformed, duration_ms: o.now() - t0 }, 'availability rollups rebuilt from CSV')
        })
        .catch((err) => {
          acc.resume(open)
          fail(err, 'could not rebuild availability rollups from CSV')
        })
        .finally(() => { rebuilding = false; live = null })
    } else {
      // opened late, the live record has already seen results: join the open outages to them
      if (late) continueRebuilt(open, acc, storeOf(), live as LiveSince)
      else acc.resume(open)
      live = null
    }
    if (late) {
      o.log.info({ file: o.file }, 'availability store opened; writing the rollups and outages that waited')
      flush().catch(() => {})
    }
  }

  const stage: Stage = {
    name: 'availability',
    ordered: true,
    cycle: (cycle) => {
      const devices = cycle.devices
      acc.reserve(cycle.n)
      for (let i = 0; i < cycle.n; i++) {
        const at = cycle.at[i]
        const rtt = cycle.rtt[i]
        acc.addResult(devices[i].device_id, at, cycle.ok[i] === 1, Number.isNaN(rtt) ? null : rtt)
        if (at > lastAt) lastAt = at
      }
      if (live !== null) {
        for (let i = 0; i < cycle.n; i++) {
          const id = devices[i].device_id
          live.seen.add(id)
          if (cycle.ok[i] === 1 && !live.firstOk.has(id)) live.firstOk.set(id, cycle.at[i])
        }
      }
      if (flushing === null && ready) writeOutages()
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
      starting = true
      startedAt = o.now()
      // what the live record sees until the record is open and rebuilt (to join an outage open across the restart)
      live = { seen: new Set(), firstOk: new Map() }
      timer = setInterval(() => { flush().catch(() => {}) }, o.flushEveryMs ?? 60_000)
      timer.unref()
      openRecord(false)
    },
    flush,
    query: (asked) => {
      const { q, key } = normalise(asked)
      const hit = cache.get(key)
      if (hit !== undefined) return hit
      return remember(key, queryAvailability(storeOf().reader, q))
    },
    queryAsync: async (asked) => {
      // a window that ends now slides: it is answered again after each write as it is then
      const sliding = asked.toMs === asked.nowMs
      const param = JSON.stringify({ ...asked, fromMs: sliding ? asked.toMs - asked.fromMs : asked.fromMs, toMs: sliding ? 'now' : asked.toMs, nowMs: 0 })
      recent.delete(param)
      recent.set(param, { asked, at: o.now() })
      if (recent.size > RECENT_MAX) recent.delete(recent.keys().next().value as string)
      const { q, key } = normaliseAsync(asked)
      return await compute(q, key)
    },
    version: () => generation,
    outages: (f) => storeOf().outages(f),
    outagesVersion: () => outageWrites,
    rebuilt: async () => { await Promise.all([rebuild, backfill]) },
    status: () => ({ healthy: failingSince === null, failing_since: failingSince === null ? null : new Date(failingSince).toISOString(), file: o.file, pending_rollups: acc.size, last_flush_ms: lastFlushMs, rebuilding, write_errors: writeErrors, last_error: lastError, previous_seen_at: previousSeen }),
    close: async () => {
      closing = true
      if (timer !== null) clearInterval(timer)
      timer = null
      if (retry !== null) clearTimeout(retry)
      retry = null
      await pool?.destroy()
      pool = null
      await rebuild
      await backfill
      if (opened === null) return
      await flush()
      opened.close()
      opened = null
    }
  }
}
