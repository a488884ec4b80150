import { lookup } from 'node:dns/promises'
import { buildFpingCommand, FpingOutputParser } from './fping-command.js'
import { runProcess } from './run-ping.js'
import { ERR_RESOLVE_FAILED, ERR_UNKNOWN_HOST, type FpingTask, type TargetOutcome } from './types.js'

/**
 * One fping process for a batch. Hostnames are resolved here first, all at once (the system resolver,
 * like ping), because fping would resolve them one after another before sending anything; each distinct
 * address is then pinged once and its result given to every target that resolved to it.
 */
export async function fpingBatch (task: FpingTask): Promise<TargetOutcome[]> {
  const addressOf = new Map<string, string>()
  const failed = new Map<string, string>()
  const names: string[] = []
  task.targets.forEach((t, i) => { if (task.families[i] === 0) names.push(t); else addressOf.set(t, t) })
  await Promise.all(names.map(async (name) => {
    const r = await resolveName(name, task.timeoutMs)
    if ('address' in r) addressOf.set(name, r.address)
    else failed.set(name, r.error)
  }))
  const addresses = [...new Set(addressOf.values())]
  const parser = new FpingOutputParser(addresses)
  const cmd = buildFpingCommand(task.command, task.timeoutMs, task.pacingMs)
  const out = addresses.length === 0
    ? { code: 0, killed: false }
    : await runProcess(cmd.file, cmd.args, task.deadlineMs, { input: addresses.join('\n') + '\n', onLine: (line, stream) => parser.line(line, stream) })
  const end = Date.now()
  return task.targets.map((target) => {
    const error = failed.get(target)
    if (error !== undefined) return { target, at: end, success: false, response_time_ms: null, error_message: error }
    const { at, ...o } = parser.outcome(addressOf.get(target) ?? target, cmd.file, out)
    return { target, at: at ?? end, ...o }
  })
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
