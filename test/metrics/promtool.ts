import { spawn } from 'node:child_process'

/** `promtool check metrics` on an exposition: its exit code and what it printed (lint problems). */
export function promtoolCheck (text: string): Promise<{ code: number | null, output: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] })
    let output = ''
    p.stdout.on('data', (d) => { output += String(d) })
    p.stderr.on('data', (d) => { output += String(d) })
    p.once('error', reject)
    p.once('close', (code) => resolve({ code, output }))
    p.stdin.end(text)
  })
}

/** The samples of one metric family in an exposition, as {labels, value}. */
export function samples (text: string, name: string): Array<{ labels: Record<string, string>, value: number }> {
  const out: Array<{ labels: Record<string, string>, value: number }> = []
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (m === null || m[1] !== name) continue
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]] = l[2].replace(/\\(.)/g, (_s, c: string) => c === 'n' ? '\n' : c)
    }
    out.push({ labels, value: m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]) })
  }
  return out
}
