import t from 'tap'
import { cycleOfRows, type CycleResult } from '../src/monitor/cycle.js'
import type { CycleInfo } from '../src/monitor/monitor.js'
import { ResultPipeline, type Stage } from '../src/pipeline.js'
import type { Observation, StateEvent } from '../src/state/device-state.js'
import { StateFeed } from '../src/state/state-feed.js'
import { StateTable } from '../src/state/state-table.js'
import type { ResultBatch } from '../src/storage/result-columns.js'

const SETTINGS = { downAfterFailures: 2, upAfterSuccesses: 2, flapChanges: 0, flapWindow: 20 }
const INFO: CycleInfo = { number: 1, started_at: '', duration_ms: 1, devices: 0, up: 0, down: 0 }
const ob = (id: number, success: boolean, at: number): Observation => ({ device_id: id, ip_address: `127.0.0.${id}`, hostname: `h${id}`, success, error: success ? '' : 'No response (timeout)', at })

function capture () {
  const lines: Array<{ o: any, m?: string }> = []
  const log = { info () {}, warn () {}, error (o: object, m?: string) { lines.push({ o, m }) } }
  return { log, lines }
}

/** a live cycle as the monitor hands it over */
function cycleOf (obs: Observation[]): CycleResult {
  const rows = obs.map((o) => ({ at: o.at, row: { timestamp: '', device_id: o.device_id, ip_address: o.ip_address, hostname: o.hostname, ping_success: o.success, response_time_ms: o.success ? 0.1 : null, error_message: o.error } }))
  return cycleOfRows(rows)
}

/** earlier results as the history reader hands them over (columns and a string table) */
function batchOf (obs: Observation[], strings: string[]): ResultBatch {
  const index = (s: string) => {
    const i = strings.indexOf(s)
    if (i >= 0) return i
    strings.push(s)
    return strings.length - 1
  }
  const n = obs.length
  const b: ResultBatch = { n, at: new Float64Array(n), deviceId: new Float64Array(n), rtt: new Float64Array(n), ok: new Uint8Array(n), ip: new Uint32Array(n), hostname: new Uint32Array(n), error: new Uint32Array(n), strings: [] }
  obs.forEach((o, i) => {
    b.at[i] = o.at
    b.deviceId[i] = o.device_id
    b.rtt[i] = o.success ? 0.1 : NaN
    b.ok[i] = o.success ? 1 : 0
    b.ip[i] = index(o.ip_address)
    b.hostname[i] = index(o.hostname)
    b.error[i] = index(o.error)
  })
  return b
}

/** the device state stage as the service builds it, over a real state table */
function stateSetup (maxHeldRows?: number) {
  const table = new StateTable(SETTINGS)
  const live: StateEvent[][] = []
  const feed = new StateFeed(table, { onLiveEvents: (e) => live.push(e) })
  let rebuilt: { rows: number, changes: number } | null = null
  const stage: Stage = {
    name: 'device state',
    ordered: true,
    cycle: (c) => feed.liveColumns(c),
    replayStart: () => feed.startReplay(),
    replayBatch: (b, strings) => feed.replayBatch(b, strings),
    replayDone: () => { rebuilt = feed.endReplay() }
  }
  const pipeline = new ResultPipeline([stage], { log: capture().log, ...(maxHeldRows === undefined ? {} : { maxHeldRows }) })
  return { table, live, feed, pipeline, rebuilt: () => rebuilt }
}

t.test('history rebuilds the state silently; live cycles during it wait and then apply in order', async (t) => {
  const { feed, live, table, pipeline, rebuilt } = stateSetup()
  const strings: string[] = []
  pipeline.startReplay()
  // device 1 went down yesterday and stayed down; device 2 went down and came back
  pipeline.replayBatch(batchOf([ob(1, true, 1), ob(2, true, 1), ob(1, false, 2), ob(2, false, 2)], strings), strings)
  // a live cycle arrives while the read-back is still going
  pipeline.cycle(cycleOf([ob(1, false, 100), ob(2, true, 100)]), INFO)
  t.same(live, [], 'held back')
  t.equal(feed.isReplaying, true)
  pipeline.replayBatch(batchOf([ob(1, false, 3), ob(2, false, 3), ob(2, true, 4)], strings), strings)
  // the files also hold the live cycle's rows (written meanwhile): not applied twice
  pipeline.replayBatch(batchOf([ob(1, false, 100), ob(2, true, 100)], strings), strings)
  pipeline.cycle(cycleOf([ob(1, true, 110), ob(2, true, 110)]), INFO)
  const held = pipeline.endReplay()
  const summary = { ...rebuilt(), ...held }
  t.same(summary, { rows: 7, changes: 4, flushed_early: 0 }, 'unknown>up ×2, up>down ×2 found in history')
  t.same(live.map((c) => c.map((e) => `${e.device_id}:${e.from}>${e.to}@${e.at}`)), [['2:down>up@100']], 'only live changes are reported, in order')
  t.equal(table.get(1)?.state, 'down', 'device 1 still down: one reply is not enough')
  t.equal(table.get(1)?.consecutiveFailures, 0)
  t.equal(table.get(1)?.downSinceAt, 2, 'down since the first failure read back')
  pipeline.cycle(cycleOf([ob(1, true, 120)]), INFO)
  t.same(live.at(-1)?.map((e) => `${e.device_id}:${e.from}>${e.to}`), ['1:down>up'])
  t.equal(feed.isReplaying, false)
})

t.test('a read-back that never ends does not hold every cycle', async (t) => {
  const { live, pipeline } = stateSetup(3)
  pipeline.startReplay()
  pipeline.cycle(cycleOf([ob(1, true, 1), ob(2, true, 1)]), INFO)
  pipeline.cycle(cycleOf([ob(1, true, 2), ob(2, true, 2)]), INFO)
  t.equal(live.length, 1, 'the oldest cycle was applied to stay within the bound')
  const s = pipeline.endReplay()
  t.equal(s.flushed_early, 1)
})

t.test('stages run in the order listed, for cycles, replay and inventory changes', async (t) => {
  const calls: string[] = []
  const stage = (name: string, ordered = false): Stage => ({
    name,
    ordered,
    cycle: (c) => calls.push(`${name}:cycle@${c.at[0]}`),
    replayStart: () => calls.push(`${name}:start`),
    replayBatch: (b) => calls.push(`${name}:batch${b.n}`),
    replayDone: () => calls.push(`${name}:done`),
    inventory: (d) => calls.push(`${name}:inventory${d.length}`)
  })
  const pipeline = new ResultPipeline([stage('a', true), stage('b'), stage('c', true)], { log: capture().log })
  pipeline.cycle(cycleOf([ob(1, true, 1)]), INFO)
  t.same(calls.splice(0), ['a:cycle@1', 'b:cycle@1', 'c:cycle@1'])
  pipeline.startReplay()
  pipeline.startReplay()
  t.same(calls.splice(0), ['a:start', 'b:start', 'c:start'], 'start is told once')
  const strings: string[] = []
  pipeline.replayBatch(batchOf([ob(1, true, 0)], strings), strings)
  pipeline.cycle(cycleOf([ob(1, true, 5)]), INFO)
  t.same(calls.splice(0), ['a:batch1', 'b:batch1', 'c:batch1', 'b:cycle@5'], 'while replaying only the unordered stage sees the live cycle')
  t.same(pipeline.status(), { replaying: true, held_cycles: 1, stage_failures: { a: 0, b: 0, c: 0 } })
  pipeline.endReplay()
  t.same(calls.splice(0), ['a:done', 'b:done', 'c:done', 'a:cycle@5', 'c:cycle@5'], 'the held cycle follows the read-back, for the ordered stages only')
  pipeline.inventory([])
  t.same(calls.splice(0), ['a:inventory0', 'b:inventory0', 'c:inventory0'])
  t.equal(pipeline.isReplaying, false)
})

t.test('a failing stage is logged and counted; the others still run', async (t) => {
  const { log, lines } = capture()
  const seen: string[] = []
  const pipeline = new ResultPipeline([
    { name: 'first', cycle: () => seen.push('first') },
    { name: 'broken', cycle: () => { throw new Error('disk on fire') }, inventory: () => { throw new Error('no') } },
    { name: 'last', cycle: () => seen.push('last') }
  ], { log })
  pipeline.cycle(cycleOf([ob(1, true, 1)]), INFO)
  pipeline.cycle(cycleOf([ob(1, true, 2)]), INFO)
  pipeline.inventory([])
  t.same(seen, ['first', 'last', 'first', 'last'])
  t.same(pipeline.status().stage_failures, { first: 0, broken: 3, last: 0 })
  t.same(lines.map((l) => [l.o.stage, l.o.err, l.m]), [
    ['broken', 'disk on fire', 'pipeline stage failed (cycle)'],
    ['broken', 'disk on fire', 'pipeline stage failed (cycle)'],
    ['broken', 'no', 'pipeline stage failed (inventory)']
  ])
})
