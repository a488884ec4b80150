import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { findExecutable, isBusyBox, resolveBackend } from '../../src/ping/ping-backend.js'
import { defaultFlavor } from '../../src/ping/ping-program.js'
import { tempDir, type TestContext } from '../helper.js'

function fakeBin (t: TestContext, names: string[]): string {
  const dir = tempDir(t, 'mpm-bin-')
  for (const n of names) {
    writeFileSync(join(dir, n), '#!/bin/sh\nexit 0\n')
    chmodSync(join(dir, n), 0o755)
  }
  return dir
}

t.test('auto picks fping when it is on PATH, else ping', async (t) => {
  const withFping = fakeBin(t, ['fping', 'ping'])
  const without = fakeBin(t, ['ping'])
  t.equal(resolveBackend('auto', 'fping', { PATH: withFping }), 'fping')
  t.equal(resolveBackend('auto', 'fping', { PATH: without }), 'ping')
  t.equal(resolveBackend('auto', join(withFping, 'fping'), { PATH: '' }), 'fping')
  t.equal(resolveBackend('fping', 'fping', { PATH: without }), 'fping')
  t.equal(resolveBackend('ping', 'fping', { PATH: withFping }), 'ping')
})

t.test('a file that is not executable is not a program', async (t) => {
  const dir = fakeBin(t, [])
  writeFileSync(join(dir, 'fping'), '')
  chmodSync(join(dir, 'fping'), 0o644)
  t.equal(findExecutable('fping', { PATH: dir }, 'linux'), null)
})

t.test('the ping dialect follows the platform; BusyBox is recognised by its applet link', async (t) => {
  t.equal(defaultFlavor('win32'), 'windows')
  t.equal(defaultFlavor('darwin'), 'bsd')
  t.equal(defaultFlavor('freebsd'), 'bsd')
  t.equal(defaultFlavor('linux'), 'iputils')
  const dir = fakeBin(t, ['busybox'])
  mkdirSync(join(dir, 'bin'))
  symlinkSync(join(dir, 'busybox'), join(dir, 'bin', 'ping'))
  t.equal(isBusyBox(join(dir, 'bin', 'ping')), true)
  t.equal(defaultFlavor('linux', join(dir, 'bin', 'ping')), 'busybox')
  t.equal(isBusyBox('/nonexistent/ping'), false)
})
