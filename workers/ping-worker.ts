import { writeFileSync } from 'node:fs'
import { mapLimit, pingOne } from '../src/ping/run-ping.js'
import { fpingBatch } from '../src/ping/run-fping.js'
import { encodeOutcomes, type FpingTask, type PingTask, type PingTaskResult } from '../src/ping/types.js'

// a name for this thread in /proc (top -H, ps -L, the bench's CPU split): Linux only, and harmless
// where it fails (15 characters at most)
try { writeFileSync('/proc/thread-self/comm', 'mpm-ping') } catch {}

/**
 * Piscina task: a batch for one fping process, or a batch of targets pinged with one ping process each,
 * at most `concurrency` at once.
 */
export default async function pingBatch (task: PingTask | FpingTask): Promise<PingTaskResult> {
  if ('kind' in task && task.kind === 'fping') return await fpingBatch(task)
  const t = task as PingTask
  const opts = { command: t.command, flavor: t.flavor, timeoutMs: t.timeoutMs }
  const results = await mapLimit(t.targets, t.concurrency, (target, i) => pingOne(opts, target, t.families[i]))
  return encodeOutcomes(results)
}
