import t from 'tap'
import { failureReason } from '../../src/metrics/failure-reason.js'
import { escapeLabelValue, formatValue } from '../../src/metrics/exposition.js'
import { DeviceGauges } from '../../src/metrics/device-gauges.js'
import { ResponseTimeHistogram } from '../../src/metrics/response-time-histogram.js'
import { makeDevice, type Device } from '../../src/inventory/filter-inventory.js'
import type { ResultRow } from '../../src/storage/result-row.js'
import { cycleOfRows } from '../../src/monitor/cycle.js'
import { promtoolCheck, samples } from './promtool.js'

t.test('failure texts map to a small fixed set of reasons', async (t) => {
  const cases: Array<[string, string]> = [
    ['No response (timeout)', 'timeout'],
    ['Destination host unreachable', 'unreachable'],
    ['Time to live exceeded', 'unreachable'],
    ['Unknown host', 'unknown_host'],
    ['Unknown host (name resolution failed)', 'unknown_host'],
    ['Ping not permitted: ping: socket: Operation not permitted', 'not_permitted'],
    ['Ping program not executable: /bin/ping', 'not_permitted'],
    ['Ping program not found: fping', 'program_missing'],
    ['Ping program could not start (EMFILE): ping', 'other'],
    ['Ping failed (exit 2): something new', 'other'],
    ['Ping worker failed: boom', 'other'],
    ['', 'other']
  ]
  for (const [text, reason] of cases) t.equal(failureReason(text), reason, text)
})

t.test('label values and numbers in the text format', async (t) => {
  t.equal(escapeLabelValue('plain-host.example'), 'plain-host.example')
  t.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd')
  t.equal(formatValue(Infinity), '+Inf')
  t.equal(formatValue(-Infinity), '-Inf')
  t.equal(formatValue(NaN), 'NaN')
  t.equal(formatValue(0.00003), '0.00003')
})

const dev = (id: number, ip = `10.0.0.${id}`, hostname = `h${id}`): Device => makeDevice({ device_id: id, ip_address: ip, hostname, family: 4 })
const row = (d: Device, ok: boolean, ms: number | null = ok ? 1.5 : null): { row: ResultRow } => ({
  row: { timestamp: '', device_id: d.device_id, ip_address: d.ip_address, hostname: d.hostname, ping_success: ok, response_time_ms: ms, error_message: ok ? '' : 'No response (timeout)' }
})
/** the rows as a cycle's columns, as the monitor gives them (the devices are the rows' own objects, not the monitored ones) */
const cycleOf = (rows: Array<{ row: ResultRow }>) => cycleOfRows(rows.map((r) => ({ ...r, at: 0 })))

t.test('per-device series follow the inventory', async (t) => {
  const g = new DeviceGauges('x_')
  const [a, b, c] = [dev(1), dev(2), dev(3)]
  g.setDevices([a, b])
  g.update(cycleOf([row(a, true), row(b, false), row(c, true)]))
  let text = g.render()
  t.same(samples(text, 'x_device_up').map((s) => [s.labels.device_id, s.value]), [['1', 1], ['2', 0]], 'a row of a device not monitored (left during the cycle) is ignored')
  t.same(samples(text, 'x_device_response_time_seconds').map((s) => [s.labels.device_id, s.value]), [['1', 0.0015]], 'seconds; none for a failed ping')
  t.equal(g.render(), text, 'the same text until something changes')

  g.setDevices([dev(1, '10.0.0.1', 'renamed'), c])
  text = g.render()
  t.same(samples(text, 'x_device_up'), [], 'a device that left goes at once; a renamed one waits for its next result')
  g.update(cycleOf([row(a, true)]))
  t.same(samples(g.render(), 'x_device_up'), [], 'a row with the old name (from a cycle that started before the reload) is ignored')
  g.update(cycleOf([row(dev(1, '10.0.0.1', 'renamed'), true), row(c, false)]))
  text = g.render()
  t.same(samples(text, 'x_device_up').map((s) => [s.labels.hostname, s.value]), [['renamed', 1], ['h3', 0]])
  t.equal((await promtoolCheck(text)).code, 0)
})

t.test('the response time histogram', async (t) => {
  const h = new ResponseTimeHistogram('x_rt_seconds', 'help', [0.001, 0.01])
  for (const s of [0.0005, 0.001, 0.002, 0.5]) h.observe(s)
  const text = h.render()
  t.same(samples(text, 'x_rt_seconds_bucket').map((s) => [s.labels.le, s.value]), [['0.001', 2], ['0.01', 3], ['+Inf', 4]], 'le is inclusive, buckets cumulative')
  t.equal(samples(text, 'x_rt_seconds_count')[0].value, 4)
  t.equal(samples(text, 'x_rt_seconds_sum')[0].value, 0.5035)
  const check = await promtoolCheck(text)
  t.equal(check.code, 0, check.output)
})

t.test('per-device values are kept by device across an inventory change; a moved device starts again', async (t) => {
  const g = new DeviceGauges('x_')
  const loc = (id: number) => ({ id, name: `L${id}` })
  const [a, b, c] = [makeDevice({ device_id: 1, ip_address: '10.0.0.1', hostname: 'h1', family: 4, location: loc(1) }), dev(2), dev(3)]
  g.setDevices([a, b, c])
  g.update(cycleOf([row(a, true, 2), row(b, true, 3), row(c, false)]))
  const before = g.render()
  t.match(before, /x_device_up\{device_id="1",ip="10.0.0.1",hostname="h1",location_id="1",type_id=""\} 1\n/)
  // a new device before the others (positions shift), device 1 moves to another location, 2 and 3 unchanged
  const z = dev(0)
  g.setDevices([z, { ...a, location: loc(7) }, b, c])
  const text = g.render()
  t.same(samples(text, 'x_device_up').map((s) => [s.labels.device_id, s.value]), [['2', 1], ['3', 0]], 'kept at their new positions; the moved one and the new one wait for a result')
  t.same(samples(text, 'x_device_response_time_seconds').map((s) => [s.labels.device_id, s.value]), [['2', 0.003]])
  g.update(cycleOf([row(z, true, 1), row({ ...a, location: loc(7) }, true, 4)]))
  const after = g.render()
  t.same(samples(after, 'x_device_up').map((s) => [s.labels.device_id, s.labels.location_id, s.value]), [['0', '', 1], ['1', '7', 1], ['2', '', 1], ['3', '', 0]], 'in the order of the device list')
  t.same(samples(after, 'x_device_response_time_seconds').map((s) => [s.labels.device_id, s.value]), [['0', 0.001], ['1', 0.004], ['2', 0.003]], 'a row without a time keeps none')
  t.equal((await promtoolCheck(after)).code, 0)
})

t.test('label values are escaped in both families', async (t) => {
  const g = new DeviceGauges('x_')
  const d = dev(1, 'h.example', 'a"b\\c')
  g.setDevices([d])
  g.update(cycleOf([row(d, true, 1)]))
  const text = g.render()
  t.match(text, /x_device_up\{device_id="1",ip="h.example",hostname="a\\"b\\\\c",location_id="",type_id=""\} 1\n/)
  t.match(text, /x_device_response_time_seconds\{device_id="1",ip="h.example",hostname="a\\"b\\\\c",location_id="",type_id=""\} 0.001\n/)
  t.same(samples(text, 'x_device_up').map((s) => s.labels.hostname), ['a"b\\c'])
})
