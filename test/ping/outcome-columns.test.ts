import t from 'tap'
import { decodeOutcomes, encodeOutcomes, type TargetOutcome } from '../../src/ping/types.js'

t.test('outcomes cross the thread boundary as columns and come back the same', async (t) => {
  const outcomes: TargetOutcome[] = [
    { target: '127.0.0.1', at: 1764655200123, success: true, response_time_ms: 0.04, error_message: '' },
    { target: '127.66.0.1', at: 1764655203000, success: false, response_time_ms: null, error_message: 'No response (timeout)' },
    { target: 'name.invalid', at: 1764655203001, success: false, response_time_ms: null, error_message: 'Unknown host' },
    { target: '::1', at: 1764655200999, success: true, response_time_ms: 0, error_message: '' },
    { target: '127.66.0.2', at: 1764655203002, success: false, response_time_ms: null, error_message: 'No response (timeout)' }
  ]
  const cols = encodeOutcomes(outcomes)
  t.same(cols.errors, ['', 'No response (timeout)', 'Unknown host'], 'each error text once')
  // as the worker thread's answer arrives: structured-cloned
  const out = new Map<string, TargetOutcome>()
  decodeOutcomes(outcomes.map((o) => o.target), structuredClone(cols), out)
  t.same([...out.values()], outcomes)
  t.equal(out.get('::1')?.response_time_ms, 0, 'a zero round-trip stays 0, not null')
  decodeOutcomes([], encodeOutcomes([]), out)
  t.equal(out.size, outcomes.length, 'an empty task adds nothing')
})
