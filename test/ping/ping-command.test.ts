import { readFileSync, existsSync } from 'node:fs'
import t from 'tap'
import { buildPingCommand, parsePingOutput, parseRtt } from '../../src/ping/ping-command.js'
import type { PingFlavor } from '../../src/ping/types.js'

const FIXTURES = new URL('./fixtures/', import.meta.url)

function sample (flavor: PingFlavor, name: string) {
  const read = (ext: string) => {
    const f = new URL(`${flavor}/${name}.${ext}`, FIXTURES)
    return existsSync(f) ? readFileSync(f, 'utf8') : ''
  }
  return { stdout: read('out'), stderr: read('err') }
}

type Expect = [PingFlavor, string, number, boolean, number | null, string]
const cases: Expect[] = [
  ['iputils', 'reply-ipv4', 0, true, 0.036, ''],
  ['iputils', 'reply-ipv6', 0, true, 0.032, ''],
  ['iputils', 'reply-hostname', 0, true, 0.024, ''],
  ['iputils', 'timeout', 1, false, null, 'No response (timeout)'],
  ['iputils', 'firewall-eperm', 1, false, null, 'No response (timeout)'],
  ['iputils', 'unreachable', 1, false, null, 'Destination host unreachable'],
  ['iputils', 'resolve-failed', 2, false, null, 'Unknown host (name resolution failed)'],
  ['iputils', 'unknown-host', 2, false, null, 'Unknown host'],
  ['iputils', 'not-permitted', 2, false, null, 'Ping not permitted: ping: socket: Operation not permitted'],
  ['busybox', 'reply-ipv4', 0, true, 0.071, ''],
  ['busybox', 'reply-ipv6', 0, true, 0.052, ''],
  ['busybox', 'timeout', 1, false, null, 'No response (timeout)'],
  ['busybox', 'unreachable', 1, false, null, 'Destination host unreachable'],
  ['busybox', 'unknown-host', 1, false, null, 'Unknown host'],
  ['busybox', 'not-permitted', 1, false, null, 'Ping not permitted: ping: permission denied (are you root?)'],
  ['bsd', 'reply-ipv4', 0, true, 0.082, ''],
  ['bsd', 'reply-ipv6', 0, true, 0.12, ''],
  ['bsd', 'timeout', 2, false, null, 'No response (timeout)'],
  ['bsd', 'request-timeout', 2, false, null, 'No response (timeout)'],
  ['bsd', 'unreachable', 2, false, null, 'Destination host unreachable'],
  ['bsd', 'unknown-host', 68, false, null, 'Unknown host'],
  ['bsd', 'unknown-host-ipv6', 1, false, null, 'Unknown host'],
  ['windows', 'reply-ipv4', 0, true, 1, ''],
  ['windows', 'reply-slow', 0, true, 12, ''],
  ['windows', 'reply-ipv6', 0, true, 1, ''],
  ['windows', 'reply-hostname', 0, true, 1, ''],
  ['windows', 'timeout', 1, false, null, 'No response (timeout)'],
  // Windows counts a router's "unreachable" answer as a reply and exits 0
  ['windows', 'unreachable', 0, false, null, 'Destination host unreachable'],
  ['windows', 'unknown-host', 1, false, null, 'Unknown host'],
  ['windows', 'general-failure', 1, false, null, 'Ping failed (exit 1): General failure.'],
  ['windows', 'de-reply', 0, true, 3, ''],
  ['windows', 'de-timeout', 1, false, null, 'No response (timeout)'],
  ['windows', 'de-unreachable', 0, false, null, 'Destination host unreachable'],
  ['windows', 'fr-reply', 0, true, 1, ''],
  ['windows', 'fr-timeout', 1, false, null, 'No response (timeout)'],
  ['windows', 'es-reply', 0, true, 1, ''],
  ['windows', 'es-timeout', 1, false, null, 'No response (timeout)']
]

for (const [flavor, name, code, success, rtt, error] of cases) {
  t.test(`${flavor} ${name}`, async (t) => {
    const o = parsePingOutput('ping', { code, killed: false, ...sample(flavor, name) }, flavor)
    t.same(o, { success, response_time_ms: rtt, error_message: error })
  })
}

t.test('the accents of a localized Windows message may arrive as other bytes', async (t) => {
  const garbled = sample('windows', 'de-timeout').stdout.replace(/ü/g, '\uFFFD')
  t.equal(parsePingOutput('ping', { code: 1, killed: false, stdout: garbled, stderr: '' }, 'windows').error_message, 'No response (timeout)')
})

t.test('the Windows statistics lines are never taken for a reply', async (t) => {
  t.equal(parseRtt('windows', '    Minimum = 0ms, Maximum = 0ms, Average = 0ms\r\n'), null)
  t.equal(parseRtt('windows', 'Reply from 127.0.0.1: Destination host unreachable.\r\n'), null)
})

t.test('killed, spawn failures and unreadable output', async (t) => {
  t.equal(parsePingOutput('ping', { code: null, killed: true, stdout: 'PING 127.66.0.1 (127.66.0.1) 56(84) bytes of data.\n', stderr: '' }).error_message, 'No response (timeout)')
  t.equal(parsePingOutput('/nope/ping', { code: null, killed: false, stdout: '', stderr: '', spawnError: 'ENOENT' }).error_message, 'Ping program not found: /nope/ping')
  t.equal(parsePingOutput('ping', { code: null, killed: false, stdout: '', stderr: '', spawnError: 'EACCES' }).error_message, 'Ping program not executable: ping')
  t.equal(parsePingOutput('ping', { code: 0, killed: false, stdout: 'something else\n', stderr: '' }).error_message, 'Unreadable ping output: something else')
})

t.test('command lines per platform', async (t) => {
  t.same(buildPingCommand('iputils', 'ping', '127.0.0.1', 4, 3000), { file: 'ping', args: ['-n', '-c', '1', '-W', '3', '-4', '--', '127.0.0.1'] })
  t.same(buildPingCommand('iputils', 'ping', '::1', 6, 1500), { file: 'ping', args: ['-n', '-c', '1', '-W', '1.5', '-6', '--', '::1'] })
  t.same(buildPingCommand('iputils', 'ping', 'localhost', 0, 250), { file: 'ping', args: ['-n', '-c', '1', '-W', '0.25', '--', 'localhost'] })
  t.same(buildPingCommand('busybox', 'ping', '::1', 6, 1500), { file: 'ping', args: ['-6', '-c', '1', '-W', '2', '::1'] })
  t.same(buildPingCommand('busybox', 'ping', '127.0.0.1', 4, 3000), { file: 'ping', args: ['-c', '1', '-W', '3', '127.0.0.1'] })
  t.same(buildPingCommand('bsd', 'ping', '127.0.0.1', 4, 3000), { file: 'ping', args: ['-n', '-c', '1', '-W', '3000', '127.0.0.1'] })
  t.same(buildPingCommand('bsd', 'ping', '::1', 6, 3000), { file: 'ping6', args: ['-n', '-c', '1', '::1'] })
  t.same(buildPingCommand('windows', 'ping', '127.0.0.1', 4, 3000), { file: 'ping', args: ['-n', '1', '-w', '3000', '-4', '127.0.0.1'] })
  t.same(buildPingCommand('windows', 'ping', 'localhost', 0, 500), { file: 'ping', args: ['-n', '1', '-w', '500', 'localhost'] })
})
