import { readFileSync } from 'node:fs'
import t from 'tap'
import { buildFpingCommand, fpingPacingMs, FpingOutputParser } from '../../src/ping/fping-command.js'

const read = (name: string) => readFileSync(new URL(`./fixtures/fping/${name}`, import.meta.url), 'utf8')

function parse (targets: string[], stdout: string, stderr: string) {
  const p = new FpingOutputParser(targets)
  for (const l of stdout.split('\n')) p.line(l, 'stdout', 1000)
  for (const l of stderr.split('\n')) p.line(l, 'stderr', 1000)
  return p
}

t.test('every target of a captured mixed batch gets the ping backend\'s texts', async (t) => {
  const targets = ['127.0.0.1', '::1', '127.67.0.1', '127.77.0.1', '127.66.0.1', '127.0.0.2', 'nonexistent.invalid']
  const p = parse(targets, read('mixed.out'), read('mixed.err'))
  const got = Object.fromEntries(targets.map((x) => [x, p.outcome(x, 'fping', { code: 2, killed: false })]))
  t.same(got, {
    '127.0.0.1': { success: true, response_time_ms: 0.039, error_message: '', at: 1000 },
    '::1': { success: true, response_time_ms: 0.031, error_message: '', at: 1000 },
    '127.0.0.2': { success: true, response_time_ms: 0.011, error_message: '', at: 1000 },
    // silent: dropped on input
    '127.67.0.1': { success: false, response_time_ms: null, error_message: 'No response (timeout)' },
    // ICMP host-unreachable
    '127.77.0.1': { success: false, response_time_ms: null, error_message: 'Destination host unreachable' },
    // a local firewall's drop (sendmsg EPERM) is a timeout for iputils ping as well
    '127.66.0.1': { success: false, response_time_ms: null, error_message: 'No response (timeout)' },
    'nonexistent.invalid': { success: false, response_time_ms: null, error_message: 'Unknown host (name resolution failed)' }
  })
})

t.test('whole-batch failures', async (t) => {
  const none = new FpingOutputParser(['127.0.0.1'])
  t.equal(none.outcome('127.0.0.1', '/nope/fping', { code: null, killed: false, spawnError: 'ENOENT' }).error_message, 'Ping program not found: /nope/fping')
  t.equal(none.outcome('127.0.0.1', 'fping', { code: null, killed: true }).error_message, 'No response (timeout)')
  t.equal(none.outcome('127.0.0.1', 'fping', { code: 0, killed: false }).error_message, 'Ping failed (exit 0): no result for this target')
  const socket = parse(['127.0.0.1'], '', 'fping: can\'t create socket (must run as root?)\n')
  t.equal(socket.outcome('127.0.0.1', 'fping', { code: 4, killed: false }).error_message, 'Ping not permitted: fping: can\'t create socket (must run as root?)')
  const other = parse(['127.0.0.1'], '', 'fping: something odd\n')
  t.equal(other.outcome('127.0.0.1', 'fping', { code: 3, killed: false }).error_message, 'Ping failed (exit 3): fping: something odd')
})

t.test('other send errors and ICMP errors keep their meaning', async (t) => {
  const p = parse(['127.0.0.8', '::2', '127.0.0.9'], '127.0.0.8 is unreachable\n::2 is unreachable\n127.0.0.9 is unreachable\n',
    '127.0.0.8: error while sending ping: Network is unreachable\n::2: error while sending ping: No buffer space available\nICMP Time Exceeded from 127.0.0.1 for ICMP Echo sent to 127.0.0.9\n')
  t.equal(p.outcome('127.0.0.8', 'fping', { code: 1, killed: false }).error_message, 'Destination host unreachable')
  t.equal(p.outcome('::2', 'fping', { code: 1, killed: false }).error_message, 'Ping failed: No buffer space available')
  t.equal(p.outcome('127.0.0.9', 'fping', { code: 1, killed: false }).error_message, 'Time to live exceeded')
})

t.test('a duplicate reply does not replace the first', async (t) => {
  const p = new FpingOutputParser(['127.0.0.1'])
  p.line('127.0.0.1 is alive (0.050 ms)', 'stdout', 1)
  p.line('127.0.0.1 is alive (9.000 ms)', 'stdout', 2)
  t.same(p.outcome('127.0.0.1', 'fping', { code: 0, killed: false }), { success: true, response_time_ms: 0.05, error_message: '', at: 1 })
})

t.test('command line and pacing', async (t) => {
  t.same(buildFpingCommand('fping', 3000, 0), { file: 'fping', args: ['-e', '-r', '0', '-t', '3000', '-i', '0', '-f', '-'] })
  t.same(buildFpingCommand('/usr/bin/fping', 1500, 0.5), { file: '/usr/bin/fping', args: ['-e', '-r', '0', '-t', '1500', '-i', '0.5', '-f', '-'] })
  // 1,000 targets, interval 5 s, timeout 3 s: a quarter of the 2 s slack, 0.5 ms apart
  t.equal(fpingPacingMs(1000, 5000, 3000), 0.5)
  // 10,000 targets: 0.05 ms would be slower than back to back
  t.equal(fpingPacingMs(10000, 5000, 3000), 0)
  t.equal(fpingPacingMs(10, 5000, 3000), 10)
  t.equal(fpingPacingMs(10, 3000, 3000), 0)
})
