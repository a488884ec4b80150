import t from 'tap'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { build, tempDir, waitFor } from '../helper.js'

// A store that cannot be opened (its directory is a file here; a full disk in test/faults/disk.test.ts)
// leaves the monitor running with its outage record waiting in memory: health says so, in `reasons`
// and in its own block, instead of only a log line, and the retry timer opens it once it can.

t.test('an availability store that cannot be opened: degraded, with the reason; once it can be: opened by the retry, healthy', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'not-a-directory'), 'x')
  const broken = await build(t, { AVAILABILITY_FILE: join(dir, 'not-a-directory', 'availability.sqlite') })
  broken.app.service.availability.start()
  const h = (await broken.app.inject('/api/health')).json()
  t.equal(h.status, 'degraded')
  // mkdir of a path that is a file: EEXIST (ENOTDIR on some systems)
  t.match(h.reasons.join(' | '), /availability store failing since \S+ \((EEXIST|ENOTDIR)[^)]*\); 0 device-hours of rollups and the outage changes waiting in memory/)
  t.match(h.availability, { healthy: false, file: join(dir, 'not-a-directory', 'availability.sqlite'), last_error: /^(EEXIST|ENOTDIR)/, write_errors: 1 })
  t.type(h.availability.failing_since, 'string')
  // the directory can be made: the retry (1 s after the failure, then 2 s, ...) opens the store and flushes
  rmSync(join(dir, 'not-a-directory'))
  mkdirSync(join(dir, 'not-a-directory'))
  const again = await waitFor(async () => {
    const a = (await broken.app.inject('/api/health')).json()
    return a.availability.healthy === true ? a : null
  }, 10_000, 'healthy again by the retry alone')
  t.match(again.availability, { healthy: true, failing_since: null, last_error: null }, 'healthy after the flush that followed the open')
  t.ok(again.availability.write_errors >= 1, 'the failures counted')
  t.notOk(again.reasons.some((r: string) => r.includes('availability')), 'and no availability reason')
  t.type(again.availability.last_flush_ms, 'number', 'a flush ran')

  const fine = await build(t)
  fine.app.service.availability.start()
  await fine.app.service.availability.availability.rebuilt()
  const ok = (await fine.app.inject('/api/health')).json()
  t.match(ok.availability, { healthy: true, failing_since: null, last_error: null, write_errors: 0 })
  t.notOk(ok.reasons.some((r: string) => r.includes('availability')), 'no availability reason')
})
