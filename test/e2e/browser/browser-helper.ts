import { appendFileSync, existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import knexFactory from 'knex'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { ensureSqliteInventory } from '../../../src/inventory/sqlite-seed.js'
import { CSV_HEADER, formatCsvRows, type ResultRow } from '../../../src/storage/result-row.js'
import { csvFileName } from '../../../src/storage/csv-files.js'
import { formatLocalIso, localDateKey } from '../../../src/lib/local-time.js'
import { build, tempDir, waitFor, type BuiltApp, type TestContext } from '../../helper.js'

export const CHROMIUM = process.env.MPM_CHROMIUM ?? '/usr/bin/chromium'
export const ARTIFACTS = new URL('../../../test-artifacts/', import.meta.url)

// nothing but the page under test: no updates, no sync, no QUIC, no first-run calls home
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']

export type InventoryRow = { id: number, ip: string, hostname: string | null, kondisi?: string }

export interface HistorySeed {
  /** results every `stepS` seconds over the last `hours`, up to now */
  hours: number
  stepS: number
  /** devices that did not answer: [from, to] minutes ago; 127.66.x.x devices never answer */
  down?: Record<number, Array<[number, number]>>
}

/**
 * Earlier results as the service itself writes them (daily CSV files), so that the history it reads
 * back at start has an outage to show. Response times are a calm wave, different per device.
 */
export function seedHistory (dir: string, rows: InventoryRow[], seed: HistorySeed): number {
  const now = Date.now()
  const byFile = new Map<string, ResultRow[]>()
  for (let at = now - seed.hours * 3_600_000; at < now - 2000; at += seed.stepS * 1000) {
    for (const r of rows) {
      if (r.kondisi === 'hilang') continue
      const minutesAgo = (now - at) / 60_000
      const down = r.ip.startsWith('127.66.') || (seed.down?.[r.id] ?? []).some(([from, to]) => minutesAgo <= from && minutesAgo >= to)
      const rtt = 0.4 + 0.25 * Math.sin(at / 400_000 + r.id) + 0.05 * r.id
      const file = csvFileName(localDateKey(at), 1)
      if (!byFile.has(file)) byFile.set(file, [])
      byFile.get(file)?.push({
        timestamp: formatLocalIso(at),
        device_id: r.id,
        ip_address: r.ip,
        hostname: r.hostname ?? r.ip,
        ping_success: !down,
        response_time_ms: down ? null : Math.round(rtt * 100) / 100,
        error_message: down ? 'No response (timeout)' : ''
      })
    }
  }
  mkdirSync(dir, { recursive: true })
  let n = 0
  for (const [file, list] of byFile) {
    const path = join(dir, file)
    if (!existsSync(path)) appendFileSync(path, CSV_HEADER)
    appendFileSync(path, formatCsvRows(list))
    n += list.length
  }
  return n
}

/** The real service on an embedded SQLite inventory holding exactly `rows`, listening on loopback. */
export async function startService (t: TestContext, rows: InventoryRow[], env: Record<string, string> = {}, history?: HistorySeed): Promise<BuiltApp & { base: string }> {
  const csvDir = tempDir(t, 'mpm-csv-')
  if (history !== undefined) seedHistory(csvDir, rows, history)
  const file = join(tempDir(t, 'mpm-db-'), 'inventaris.sqlite')
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true, pool: { min: 0, max: 1 } })
  try {
    await ensureSqliteInventory(knex)
    await knex('inventaris').delete()
    await knex('inventaris').insert(rows.map((r) => ({ kondisi: 'baik', jenis_barang_id: 1, id_lokasi: 1, ...r })))
  } finally {
    await knex.destroy()
  }
  return buildAndListen(t, { SQLITE_FILE: file, CSV_OUTPUT_DIR: csvDir, ...env })
}

/** The real service (see test/helper.ts build) started and listening on 127.0.0.1, history read back. */
export async function buildAndListen (t: TestContext, env: Record<string, string>): Promise<BuiltApp & { base: string }> {
  const b = await build(t, { PING_INTERVAL: '1', PING_TIMEOUT: '0.5', DEVICE_CHECK_INTERVAL: '1', ...env })
  await b.app.service.start()
  await b.app.listen({ host: '127.0.0.1', port: 0 })
  await waitFor(() => !b.app.historyLoading() && b.app.monitor.status().cycles >= 2, 30_000, 'history read back and two cycles')
  const { port } = b.app.server.address() as { port: number }
  return { ...b, base: `http://127.0.0.1:${port}/` }
}

/** Headless Debian Chromium with a fresh profile; closed at teardown. */
export async function openBrowser (t: TestContext): Promise<BrowserContext> {
  const context = await chromium.launchPersistentContext(tempDir(t, 'mpm-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1600, height: 1000 },
    timeout: 60_000
  })
  context.setDefaultTimeout(30_000)
  t.teardown(() => context.close())
  return context
}

/**
 * A new page that records, for assertions, its script errors, failed requests and every answer
 * with an error status (`errors`: "400 POST /api/ping/test/x").
 */
export async function newPage (context: BrowserContext): Promise<{ page: Page, problems: string[], errors: string[] }> {
  const page = await context.newPage()
  const problems: string[] = []
  const errors: string[] = []
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
  // the browser's own line for an error status is covered by `errors`, with the URL
  page.on('console', (m) => { if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`) })
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`))
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`) })
  return { page, problems, errors }
}

export async function screenshot (page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true })
  const path = new URL(name, ARTIFACTS).pathname
  await page.screenshot({ path })
  return path
}

export interface RowText { id: number, status: string, hostname: string, ip: string, response: string, seen: string, loss: string, since: string }

/** The rows the table rendered (those in view and a few beyond), top to bottom. */
export async function visibleRows (page: Page): Promise<RowText[]> {
  return page.$$eval('#spacer .row:not([hidden])', (rows) => rows
    .map((r) => {
      const cell = (sel: string) => (r.querySelector(sel)?.textContent ?? '').trim()
      return {
        y: Number(r.getAttribute('aria-rowindex')),
        id: Number(r.getAttribute('data-device-id')),
        status: (r.querySelector('.status > span:nth-child(2)')?.textContent ?? '').trim(),
        since: cell('.since'),
        hostname: cell('.hostname'),
        ip: cell('.ip'),
        response: cell('.rt'),
        seen: cell('.seen'),
        loss: cell('.loss')
      }
    })
    .sort((a, b) => a.y - b.y)
    .map(({ y, ...rest }) => rest))
}
