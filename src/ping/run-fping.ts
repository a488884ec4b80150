import { lookup } from 'node:dns/promises'
import { buildFpingCommand, FpingOutputParser } from './fping-command.js'
import type { ProcessOutput } from './ping-command.js'
import { runProcess } from './run-ping.js'
import { ERR_RESOLVE_FAILED, ERR_UNKNOWN_HOST, OutcomeColumnsBuilder, type FpingTask, type PingTaskResult } from './types.js'

/**
 * One fping process for a batch. Hostnames are resolved here first, all at once (the system resolver,
 * like ping), because fping would resolve them one after another before sending anything; each distinct
 * address is then pinged once and its result given to every target that resolved to it.
 */
export async function fpingBatch (task: FpingTask): Promise<PingTaskResult> {
  // address literals are pinged as they are (the plan made them distinct); only names need a map
  const addressOf = new Map<string, string>()
  const failed = new Map<string, string>()
  const names: string[] = []
  // each distinct address once, in the targets' order: the set is also the parser's
  const distinct = new Set<string>()
  task.targets.forEach((t, i) => { if (task.families[i] === 0) names.push(t); else distinct.add(t) })
  await Promise.all(names.map(async (name) => {
    const r = await resolveName(name, task.timeoutMs)
    if ('address' in r) addressOf.set(name, r.address)
    else failed.set(name, r.error)
  }))
  // a name that resolves to an address of the batch is pinged once with it
  for (const a of addressOf.values()) distinct.add(a)
  const addresses = [...distinct]
  const parser = new FpingOutputParser(distinct)
  const cmd = buildFpingCommand(task.command, task.timeoutMs, task.pacingMs)
  const out = addresses.length === 0
    ? { code: 0, killed: false }
    : await runProcess(cmd.file, cmd.args, task.deadlineMs, { input: addresses.join('\n') + '\n', onLine: (line, stream) => parser.line(line, stream) })
  return outcomeColumns(task, addressOf, failed, parser, cmd.file, out, Date.now())
}

/**
 * Each target's outcome, straight into the columns the main thread gets (no outcome object per
 * target): most targets answered. A function of its own, not a loop inside fpingBatch: V8 compiles a
 * running loop (OSR) with the whole function around it, and the async fpingBatch made that compile
 * 20+ ms of TurboFan time per warm-up instead of a few (traced with --trace-opt).
 */
function outcomeColumns (task: FpingTask, addressOf: Map<string, string>, failed: Map<string, string>, parser: FpingOutputParser, command: string, out: Pick<ProcessOutput, 'code' | 'killed' | 'spawnError'>, end: number): PingTaskResult {
  const cols = new OutcomeColumnsBuilder(task.targets.length)
  for (let i = 0; i < task.targets.length; i++) {
    const target = task.targets[i]
    const address = task.families[i] === 0 ? addressOf.get(target) : target
    if (address === undefined) {
      cols.failed(i, end, failed.get(target) ?? ERR_RESOLVE_FAILED)
      continue
    }
    const alive = parser.aliveAt(address)
    if (alive !== undefined) {
      cols.ok(i, alive.at, alive.rtt ?? 0)
      continue
    }
    const o = parser.outcome(address, command, out)
    cols.set(i, { success: o.success, response_time_ms: o.response_time_ms, error_message: o.error_message, at: o.at ?? end })
  }
  return cols.r
}

async function resolveName (name: string, timeoutMs: number): Promise<{ address: string } | { error: string }> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<{ error: string }>((resolve) => { timer = setTimeout(() => resolve({ error: ERR_RESOLVE_FAILED }), timeoutMs) })
  try {
    // the first address, as ping takes it
    return await Promise.race([lookup(name).then((r) => ({ address: r.address })), expired])
  } catch (err: any) {
    return { error: err?.code === 'ENOTFOUND' || err?.code === 'ENODATA' || err?.code === 'EAI_NODATA' ? ERR_UNKNOWN_HOST : ERR_RESOLVE_FAILED }
  } finally {
    clearTimeout(timer)
  }
}
