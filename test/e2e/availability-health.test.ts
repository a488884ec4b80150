import t from 'tap'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { build, tempDir } from '../helper.js'

// A store that cannot be opened (its directory is a file here; a full disk in test/faults/disk.test.ts)
// leaves the monitor running without its outage record: health says so, in `reasons` and in its own
// block, instead of only a log line.

t.test('an availability store that cannot be opened: degraded, with the reason; a working one: healthy', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'not-a-directory'), 'x')
  const broken = await build(t, { AVAILABILITY_FILE: join(dir, 'not-a-directory', 'availability.sqlite') })
  broken.app.service.availability.start()
  const h = (await broken.app.inject('/api/health')).json()
  t.equal(h.status, 'degraded')
  // mkdir of a path that is a file: EEXIST (ENOTDIR on some systems)
  t.match(h.reasons.join(' | '), /availability store failing since \S+ \((EEXIST|ENOTDIR)[^)]*\); outages and rollups are not being recorded/)
  t.match(h.availability, { healthy: false, file: join(dir, 'not-a-directory', 'availability.sqlite'), last_error: /^(EEXIST|ENOTDIR)/, write_errors: 1 })
  t.type(h.availability.failing_since, 'string')
  // the directory can be made again: the next flush opens the store, commits, and health recovers
  rmSync(join(dir, 'not-a-directory'))
  mkdirSync(join(dir, 'not-a-directory'))
  await broken.app.service.availability.availability.flush()
  const again = (await broken.app.inject('/api/health')).json()
  t.match(again.availability, { healthy: true, failing_since: null, write_errors: 1 }, 'healthy after a flush that committed; the failure still counted')
  t.notOk(again.reasons.some((r: string) => r.includes('availability')), 'and no availability reason')

  const fine = await build(t)
  fine.app.service.availability.start()
  await fine.app.service.availability.availability.rebuilt()
  const ok = (await fine.app.inject('/api/health')).json()
  t.match(ok.availability, { healthy: true, failing_since: null, last_error: null, write_errors: 0 })
  t.notOk(ok.reasons.some((r: string) => r.includes('availability')), 'no availability reason')
})
