import { readdirSync, readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** CPU seconds of a process: its own, plus the children it has waited for (cutime, cstime). */
export function cpuSeconds (pid: number | 'self'): { own: number, children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // fields after "(comm) ": state is field 3, utime 14, stime 15, cutime 16, cstime 17
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { own: (Number(f[11]) + Number(f[12])) / CLK_TCK, children: (Number(f[13]) + Number(f[14])) / CLK_TCK }
}

function statusKb (pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m === null ? 0 : Number(m[1])
  } catch {
    return 0
  }
}

export function peakRssMb (pid: number): number {
  return statusKb(pid, 'VmHWM') / 1024
}

/** The live children of a process (of all its threads: worker threads spawn the ping processes). */
export function childPids (pid: number): number[] {
  const out: number[] = []
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const list = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim()
      if (list !== '') for (const c of list.split(' ')) out.push(Number(c))
    }
  } catch {}
  return out
}

/** Samples the resident memory of a process and its children; `peakMb` is the largest sum seen. */
export class TreeRssSampler {
  peakMb = 0
  private readonly timer: NodeJS.Timeout

  constructor (private readonly pid: number, everyMs = 100) {
    this.timer = setInterval(() => this.sample(), everyMs)
  }

  sample (): void {
    let kb = statusKb(this.pid, 'VmRSS')
    for (const c of childPids(this.pid)) kb += statusKb(c, 'VmRSS')
    this.peakMb = Math.max(this.peakMb, kb / 1024)
  }

  stop (): void {
    clearInterval(this.timer)
  }
}

/** CPU seconds of each thread of a process, by thread name (/proc/PID/task/TID/stat): `main` is the thread whose id is the pid. */
export function threadCpuSeconds (pid: number): Map<string, number> {
  const out = new Map<string, number>()
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      const name = Number(tid) === pid ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.set(name, (out.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) / CLK_TCK)
    }
  } catch {}
  return out
}
