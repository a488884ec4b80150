import { mapLimit, pingOne } from '../src/ping/run-ping.js'
import type { PingTask, PingTaskResult } from '../src/ping/types.js'

/** Piscina task: ping a batch of targets with child processes, at most `concurrency` at once. */
export default async function pingBatch (task: PingTask): Promise<PingTaskResult> {
  const opts = { command: task.command, flavor: task.flavor, timeoutMs: task.timeoutMs }
  const results = await mapLimit(task.targets, task.concurrency, (target, i) => pingOne(opts, target, task.families[i]))
  return { results }
}
