/**
 * Size and time of each gzip and brotli level on the service's real answers (identity bytes fetched
 * from the running service), with the same options src/plugins/response-cache.ts uses (brotli: text
 * mode and the size hint). Timed with the sync calls in this process, one at a time: the CPU one
 * compression costs, which is what the service pays once per answer per cycle (it runs the large ones
 * on the libuv pool, so the event loop does not wait for it, but a core does).
 */
import { performance } from 'node:perf_hooks'
import { brotliCompressSync, constants as zc, gzipSync } from 'node:zlib'

export const LEVELS: ReadonlyArray<{ coding: 'gzip' | 'br', level: number }> = [
  { coding: 'gzip', level: 1 }, { coding: 'gzip', level: 6 }, { coding: 'gzip', level: 9 },
  { coding: 'br', level: 1 }, { coding: 'br', level: 4 }, { coding: 'br', level: 5 }, { coding: 'br', level: 6 }, { coding: 'br', level: 9 }, { coding: 'br', level: 11 }
]

function compress (coding: 'gzip' | 'br', level: number, body: Buffer): Buffer {
  if (coding === 'gzip') return gzipSync(body, { level })
  return brotliCompressSync(body, { params: { [zc.BROTLI_PARAM_QUALITY]: level, [zc.BROTLI_PARAM_SIZE_HINT]: body.length, [zc.BROTLI_PARAM_MODE]: zc.BROTLI_MODE_TEXT } })
}

export interface LevelFigure { coding: 'gzip' | 'br', level: number, bytes: number, ms: number, runs: number }
export interface LevelRow { answer: string, identity: number, levels: LevelFigure[] }

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] }

/**
 * `runs` timed runs per level (after one untimed warm-up), fewer for a level whose runs take more than
 * `budgetMs` together (brotli 11 on a 3.5 MB answer is seconds a run): at least one.
 */
export function measureLevels (answer: string, body: Buffer, runs: number, budgetMs = 8000): LevelRow {
  const levels = LEVELS.map(({ coding, level }) => {
    const first = performance.now()
    const bytes = compress(coding, level, body).length
    const warm = performance.now() - first
    const times: number[] = []
    const n = Math.max(1, Math.min(runs, Math.floor(budgetMs / Math.max(warm, 0.01))))
    for (let i = 0; i < n; i++) {
      const t0 = performance.now()
      compress(coding, level, body)
      times.push(performance.now() - t0)
    }
    return { coding, level, bytes, ms: median(times), runs: n }
  })
  return { answer, identity: body.length, levels }
}

const kb = (b: number) => (b / 1024).toFixed(1)
const ms = (x: number) => x < 10 ? x.toFixed(2) : x.toFixed(0)

/** a markdown table: one row per answer, one column per level, "KB in ms" */
export function levelsTable (rows: LevelRow[]): string {
  const head = `| answer | identity KB | ${LEVELS.map((l) => `${l.coding} ${l.level}`).join(' | ')} |`
  const rule = `| --- | ---: | ${LEVELS.map(() => '---:').join(' | ')} |`
  const body = rows.map((r) => `| \`${r.answer}\` | ${kb(r.identity)} | ${r.levels.map((l) => `${kb(l.bytes)} KB in ${ms(l.ms)} ms${l.runs < 3 ? ` (${l.runs} run${l.runs === 1 ? '' : 's'})` : ''}`).join(' | ')} |`)
  return [head, rule, ...body].join('\n')
}

/**
 * Per level, over all answers: total bytes and total ms, as a share of identity, so the knee shows in
 * one line per level (the per-answer table above it has the detail).
 */
export function levelsSummary (rows: LevelRow[]): string {
  const identity = rows.reduce((n, r) => n + r.identity, 0)
  return LEVELS.map((l, i) => {
    const bytes = rows.reduce((n, r) => n + r.levels[i].bytes, 0)
    const t = rows.reduce((n, r) => n + r.levels[i].ms, 0)
    return `${l.coding} ${l.level}: ${kb(bytes)} KB (${(100 * bytes / identity).toFixed(2)} % of identity) in ${ms(t)} ms`
  }).join('\n')
}
