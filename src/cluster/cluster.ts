import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream'
import { Kvm, type KV } from '@nats-io/kv'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import type { Config } from '../config/env-schema.js'
import { redactSecrets, secretValues } from '../config/secrets.js'
import type { Device } from '../inventory/filter-inventory.js'
import type { DeviceFacts } from '../schemas/device-facts.js'
import type { Log } from '../lib/log.js'
import type { DeviceStateSummary } from '../schemas/latest.js'
import type { ResultRow } from '../storage/result-row.js'
import { ClusterCoordinator, type CoordinatorStatus, type OwnersLeader } from './coordinator.js'
import type { HistoryStore, TimelineCounts } from '../history/history-store.js'
import { addTimelineCounts } from '../history/history-store.js'
import type { Group, GroupBy } from '../sites/groups.js'
import { siteSettings } from '../sites/sites.js'
import { FleetGroups } from './fleet-groups.js'
import { FleetView } from './fleet-view.js'
import { HandoverStates } from './handover-states.js'
import { askPeers, mergeRowsNewestFirst, serveHistory, type HistoryQuery, type PeerAnswers } from './history-peers.js'
import { instanceId, natsConnectOptions } from './nats-connection.js'
import { partitionOf } from './partition.js'
import { ensureResultsStream, publishCycle, resultsStreamName, type ResultMessage } from './results-stream.js'

export interface ClusterStatus extends CoordinatorStatus {
  mode: 'nats'
  nats_connected: boolean
  missed_cycles: number
  duplicate_results: number
  publish_failures: number
}

/** A history answer in cluster mode: this instance's part and the other owners'. */
export interface FleetHistory<T> {
  data: T
  /** true when an instance that may hold part of it did not answer (or is gone) */
  partial: boolean
  /** those instances (INSTANCE_ID), sorted */
  missing_owners: string[]
}

export interface Cluster {
  readonly me: string
  readonly fleet: FleetView
  /** /api/ping/groups for the whole fleet */
  groups: (by: GroupBy) => Group[]
  /** one device's results in [from, to] from every owner, newest first, each with its owner */
  deviceRows: (deviceId: number, from: number, to: number, limit: number) => Promise<FleetHistory<Array<ResultRow & { owner: string }>>>
  /** one device's timeline sums over [from, to] from every owner */
  deviceTimeline: (deviceId: number, from: number, to: number, bucketMs: number) => Promise<FleetHistory<TimelineCounts>>
  /** the verdicts other owners published, taken over when a partition comes here */
  readonly handover: HandoverStates
  /**
   * Connects to NATS, opens the buckets and the stream, announces this instance. When NATS cannot be
   * reached it resolves anyway and tries again in the background (1 s, doubling up to 30 s).
   */
  start: () => Promise<void>
  /** the devices this instance pings in cycle slot `slot` */
  devicesFor: (devices: Device[], slot: number) => Device[]
  /** publishes one finished cycle's results and marks the slot done */
  cycleDone: (slot: number, rows: ReadonlyArray<{ row: ResultRow, at: number }>, stateOf: (id: number) => DeviceStateSummary) => void
  /** planned stop: hand every partition over at a cycle boundary (bounded by maxWaitMs) */
  drain: (maxWaitMs: number) => Promise<void>
  stop: () => Promise<void>
  status: () => ClusterStatus
  /** counts the slots nobody pinged, up to two slots ago */
  countMissed: (devices: Device[]) => void
  partitionOf: (deviceId: number) => number
}

/** The names of the two buckets (one fleet per CLUSTER_PREFIX). */
/** NATS out of reach at start: the first retry after 1 s, doubling up to 30 s */
const RETRY_FIRST_MS = 1000
const RETRY_MAX_MS = 30_000

export function bucketNames (prefix: string): { members: string, owners: string } {
  return { members: `${prefix}-members`, owners: `${prefix}-owners` }
}

/** Creates (or opens, when they exist with these settings) the two buckets of one fleet. */
export async function openBuckets (kvm: Kvm, prefix: string, replicas: number, leaseMs: number): Promise<{ members: KV, owners: KV }> {
  const names = bucketNames(prefix)
  // presence keys of crashed instances vanish after a while; liveness is judged by revisions, not by this
  const members = await kvm.create(names.members, { history: 1, replicas, ttl: Math.max(60_000, 10 * leaseMs) })
  const owners = await kvm.create(names.owners, { history: 1, replicas })
  return { members, owners }
}

/**
 * Reads of a bucket from its stream's leader (STREAM.INFO, STREAM.MSG.GET): the KV client's gets go
 * to any replica (direct get), which may not have applied the last writes yet.
 */
export function leaderReads (jsm: JetStreamManager, bucket: string): OwnersLeader {
  const stream = `KV_${bucket}`
  return {
    lastSeq: async () => (await jsm.streams.info(stream)).state.last_seq,
    get: async (key) => {
      const m = await jsm.streams.getMessage(stream, { last_by_subj: `$KV.${bucket}.${key}` })
      const op = m?.header?.get('KV-Operation')
      return m === null || op === 'DEL' || op === 'PURGE' ? null : { revision: m.seq, value: m.string() }
    }
  }
}

/**
 * @param history this instance's own results (what it answers the others' history questions from)
 */
export function createCluster (config: Config, log: Log, factsOf: (d: Device) => DeviceFacts, history: Pick<HistoryStore, 'deviceRows' | 'timelineCounts'>): Cluster {
  const me = instanceId(config)
  const intervalMs = config.PING_INTERVAL * 1000
  const leaseMs = config.CLUSTER_LEASE * 1000
  const prefix = config.CLUSTER_PREFIX
  const secrets = secretValues(config)
  const safe = (err: any): string => redactSecrets(String(err?.message ?? err), secrets)
  const partitionCache = new Map<number, number>()
  const partition = (id: number): number => {
    let p = partitionCache.get(id)
    if (p === undefined) partitionCache.set(id, p = partitionOf(id, config.CLUSTER_PARTITIONS))
    return p
  }
  // misses are counted from two slots after start: the first cycles are still being handed out
  const fleet = new FleetView(Math.floor(Date.now() / intervalMs) + 4, factsOf)
  const handover = new HandoverStates(me)
  const fleetGroups = new FleetGroups(fleet, siteSettings(config), (d) => factsOf(d).maintenance)
  const peerTimeoutMs = config.CLUSTER_PEER_TIMEOUT * 1000
  let nc: NatsConnection | null = null
  let js: JetStreamClient | null = null
  let coordinator: ClusterCoordinator | null = null
  let duplicates = 0
  let publishFailures = 0
  let stopping = false
  let follow: { stop: () => void } | null = null
  let connectAttempts = 0
  let connectError: string | null = null
  let retryTimer: NodeJS.Timeout | null = null
  let settingUp: Promise<void> | null = null
  let missFrom = Infinity
  let historyService: { unsubscribe: () => void } | null = null

  const answerHistory = (q: HistoryQuery): { rows?: ResultRow[], timeline?: TimelineCounts } =>
    q.kind === 'rows'
      ? { rows: history.deviceRows(q.device_id, q.from, q.to, q.limit) }
      : { timeline: history.timelineCounts(q.device_id, q.from, q.to, q.bucket_ms) }

  /**
   * Asks the other live instances (leaving ones too: they still hold their part); the owners of the
   * device seen in the window that are not live any more are missing as well (their part went with them).
   */
  const askOthers = async (q: HistoryQuery): Promise<PeerAnswers> => {
    const live = coordinator?.membership.liveMembers() ?? []
    const peers = live.filter((m) => m !== me)
    const gone = fleet.ownersSince(q.device_id, q.from).filter((o) => o !== me && !live.includes(o))
    const answers = nc === null || peers.length === 0 ? { rows: [], timelines: [], missing: peers } : await askPeers(nc, prefix, peers, q, peerTimeoutMs)
    answers.missing = [...new Set([...answers.missing, ...gone])].sort()
    return answers
  }

  const followResults = async (): Promise<void> => {
    if (js === null) return
    // an ordered consumer: the latest message of each partition first, then every new one (the
    // stream holds the results subjects only: no filter, which nats-server 2.9 would refuse as a list)
    const consumer = await js.consumers.get(resultsStreamName(prefix), { deliver_policy: DeliverPolicy.LastPerSubject })
    const messages = await consumer.consume()
    follow = messages
    ;(async () => {
      for await (const m of messages) {
        try {
          const msg = m.json<ResultMessage>()
          fleet.add(msg)
          handover.add(msg)
        } catch {}
      }
    })().catch((err) => log.warn({ err: safe(err) }, 'cluster: results stream follow ended'))
  }

  /** Connects to NATS, opens the buckets and the stream, announces this instance (throws when NATS cannot be reached). */
  const setUp = async (): Promise<void> => {
    nc = await connect(natsConnectOptions(config))
    log.info({ instance_id: me, server: nc.getServer() }, 'cluster: connected to NATS')
    const conn = nc
    ;(async () => {
      for await (const s of conn.status()) {
        if (s.type === 'disconnect' || s.type === 'reconnect') log.warn({ instance_id: me, event: s.type }, `cluster: NATS ${s.type}`)
      }
    })().catch(() => {})
    js = jetstream(nc, { timeout: Math.max(1000, Math.min(5000, leaseMs / 4)) })
    const { members, owners } = await openBuckets(new Kvm(js), prefix, config.CLUSTER_REPLICAS, leaseMs)
    const jsm = await jetstreamManager(nc, { timeout: Math.max(1000, Math.min(5000, leaseMs / 4)) })
    await ensureResultsStream(jsm, prefix, config.CLUSTER_REPLICAS)
    if (stopping) throw new Error('stopping')
    const ownersLeader = leaderReads(jsm, bucketNames(prefix).owners)
    const c = new ClusterCoordinator({ me, partitions: config.CLUSTER_PARTITIONS, leaseMs, intervalMs, onLoss: config.CLUSTER_ON_NATS_LOSS, buckets: { members, owners, ownersLeader }, log })
    await c.start()
    try {
      await followResults()
    } catch (err) {
      await c.stop()
      throw err
    }
    coordinator = c
    historyService = serveHistory(conn, prefix, me, answerHistory)
    // slots before this instance followed the stream are not counted (it did not see their results)
    missFrom = c.slotNow() + 4
    log.info({ instance_id: me, misses_counted_from_slot: missFrom }, 'cluster: following the results stream')
  }

  return {
    me,
    fleet,
    handover,
    partitionOf: partition,
    groups: (by) => fleetGroups.groups(by),

    deviceRows: async (deviceId, from, to, limit) => {
      const own = history.deviceRows(deviceId, from, to, limit)
      const others = await askOthers({ kind: 'rows', device_id: deviceId, from, to, limit })
      const data = mergeRowsNewestFirst([{ owner: me, rows: own }, ...others.rows], limit)
      return { data, partial: others.missing.length > 0, missing_owners: others.missing }
    },

    deviceTimeline: async (deviceId, from, to, bucketMs) => {
      const data = history.timelineCounts(deviceId, from, to, bucketMs)
      const others = await askOthers({ kind: 'timeline', device_id: deviceId, from, to, bucket_ms: bucketMs })
      for (const t of others.timelines) addTimelineCounts(data, t)
      return { data, partial: others.missing.length > 0, missing_owners: others.missing }
    },

    start: async () => {
      // NATS out of reach at start: the service runs (API, health 'degraded'), pings nothing since it
      // holds no partition, and tries again with a backoff until NATS answers (or the service stops)
      const attempt = async (): Promise<void> => {
        connectAttempts++
        try {
          await setUp()
          connectError = null
          if (connectAttempts > 1) log.warn({ instance_id: me, attempts: connectAttempts }, 'cluster: NATS reachable; joining the cluster')
        } catch (err) {
          connectError = safe(err)
          const c = nc
          nc = null
          js = null
          try { await c?.close() } catch {}
          if (stopping) return
          const waitMs = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.min(10, connectAttempts - 1))
          log.error({ instance_id: me, attempt: connectAttempts, retry_in_s: waitMs / 1000, err: connectError }, 'cluster: NATS not reachable; pinging nothing until this instance holds partitions, trying again')
          retryTimer = setTimeout(() => {
            retryTimer = null
            settingUp = attempt()
          }, waitMs)
        }
      }
      settingUp = attempt()
      await settingUp
    },

    devicesFor: (devices, slot) => {
      const c = coordinator
      if (c === null) return []
      return devices.filter((d) => c.pings(partition(d.device_id), slot))
    },

    cycleDone: (slot, rows, stateOf) => {
      coordinator?.cycleDone(slot)
      if (js === null || rows.length === 0) return
      const byPartition = new Map<number, ResultMessage['r']>()
      for (const r of rows) {
        const p = partition(r.row.device_id)
        let list = byPartition.get(p)
        if (list === undefined) byPartition.set(p, list = [])
        list.push({ row: r.row, at: r.at, st: stateOf(r.row.device_id) })
      }
      publishCycle(js, prefix, me, slot, byPartition).then((o) => {
        duplicates += o.duplicates
        publishFailures += o.failed
        if (o.duplicates > 0) log.warn({ slot, duplicates: o.duplicates }, 'cluster: partitions already published by another instance in this slot')
        if (o.failed > 0 && !stopping) log.warn({ slot, failed: o.failed }, 'cluster: results not published')
      }).catch(() => {})
    },

    drain: async (maxWaitMs) => {
      await coordinator?.drain(maxWaitMs)
    },

    stop: async () => {
      stopping = true
      if (retryTimer !== null) clearTimeout(retryTimer)
      await settingUp
      follow?.stop()
      historyService?.unsubscribe()
      await coordinator?.stop()
      try { await nc?.drain() } catch {}
      nc = null
    },

    countMissed: (devices) => {
      const c = coordinator
      if (c === null) return
      const set = new Set<number>()
      for (const d of devices) set.add(partition(d.device_id))
      const upTo = c.slotNow() - 2
      // the slots before missFrom are passed over with nothing expected
      fleet.countMissed(Math.min(upTo, missFrom - 1), [])
      if (upTo >= missFrom) fleet.countMissed(upTo, set)
    },

    status: () => {
      const base: CoordinatorStatus = coordinator?.status() ?? {
        instance_id: me, members: [], partitions: config.CLUSTER_PARTITIONS, partitions_owned: 0, fenced: true, fenced_reason: connectError === null ? 'not connected to NATS yet' : `NATS not reachable (${connectAttempts} attempts, last: ${connectError}); trying again, pinging nothing until this instance holds partitions`, last_contact_s: null, leaving: false, handovers: 0, takeovers: 0, fence_count: 0
      }
      return { ...base, mode: 'nats', nats_connected: nc !== null && !nc.isClosed(), missed_cycles: fleet.missedCycles().total, duplicate_results: duplicates, publish_failures: publishFailures }
    }
  }
}
