import t from 'tap'
import Papa from 'papaparse'
import { build, tempDir } from '../helper.js'
import { cycleOfRows, type CycleResult } from '../../src/monitor/cycle.js'
import type { CycleInfo } from '../../src/monitor/monitor.js'
import { formatLocalIso } from '../../src/lib/local-time.js'

// `fields=` of GET /api/ping/availability: the whole app, cycles injected through the pipeline as the
// monitor hands them over, answers from the real SQLite store.

const H = 3_600_000
const info: CycleInfo = { number: 1, started_at: '', duration_ms: 1, devices: 2, up: 0, down: 0 }

function cycle (at: number, down2: boolean): CycleResult {
  const results: Array<[number, boolean]> = [[1, true], [2, !down2]]
  return cycleOfRows(results.map(([id, ok]) => ({ at, row: { timestamp: formatLocalIso(at), device_id: id, ip_address: `127.0.0.${id}`, hostname: `d${id}`, ping_success: ok, response_time_ms: ok ? 1.5 : null, error_message: ok ? '' : 'timeout' } })))
}

t.test('fields= picks the columns of each entry; an unknown field is a 400', async (t) => {
  const { app } = await build(t, { CSV_OUTPUT_DIR: tempDir(t, 'mpm-avail-fields-'), PING_INTERVAL: '5', DOWN_AFTER_FAILURES: '3', UP_AFTER_SUCCESSES: '2' })
  app.service.availability.start()
  const start = Math.floor(Date.now() / H) * H - 3 * H
  // device 2 down for the second half of the first hour
  for (let at = start; at < start + 2 * H; at += 5000) app.service.pipeline.cycle(cycle(at, at >= start + H / 2 && at < start + H), info)
  await app.service.availability.availability.flush()
  const range = `from=${new Date(start).toISOString()}&to=${new Date(start + 2 * H).toISOString()}`
  const get = async (q: string) => await app.inject({ method: 'GET', url: `/api/ping/availability?${range}&${q}` })

  const full = (await get('group_by=device')).json()
  t.equal(full.data.length, 2)
  t.equal(Object.keys(full.data[0]).length, 14, 'without fields: every field')

  const one = await get('fields=availability_percent')
  t.equal(one.statusCode, 200)
  t.same(one.json().data, full.data.map((e: any) => ({ key: e.key, availability_percent: e.availability_percent })), 'key and the one field, same values')
  t.equal(one.json().data[1].availability_percent, 75, 'device 2: 30 min down in 2 h')

  // the order of the answer is the entry's, not the list's; a name given twice counts once
  const two = (await get('fields=outages,down_s,outages')).json()
  t.same(two.data.map((e: any) => Object.keys(e)), [['key', 'down_s', 'outages'], ['key', 'down_s', 'outages']])
  t.same(two.data[1], { key: 2, down_s: 1800, outages: 1 })
  t.ok(JSON.stringify(two).length < JSON.stringify(full).length, 'a smaller answer')

  const csv = await get('fields=availability_percent,outages&format=csv')
  t.equal(csv.statusCode, 200)
  t.same(Papa.parse<string[]>(csv.body, { skipEmptyLines: true }).data, [['device_id', 'availability_percent', 'outages'], ['1', '100', '0'], ['2', '75', '1']], 'CSV: the same columns')

  const byLocation = (await get('group_by=location&fields=devices')).json()
  t.same(byLocation.data.map((e: any) => Object.keys(e)), byLocation.data.map(() => ['key', 'devices']), 'per group too')
  t.equal(byLocation.data.reduce((n: number, e: any) => n + e.devices, 0), 2)
  t.same((await get('fields=key')).json().data, [{ key: 1 }, { key: 2 }], 'key alone (always there)')

  for (const bad of ['fields=', 'fields=availability', 'fields=availability_percent,', 'fields=Up_s', 'fields=up_s;down_s', 'fields=up_s&fields=down_s']) {
    const r = await get(bad)
    t.equal(r.statusCode, 400, `${bad}: 400`)
    t.match(r.json(), { success: false, error: /fields/ }, `${bad}: the error names the parameter`)
  }
})
