import t from 'tap'
import { readdirSync, readlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AvailabilityStore, CACHE_SIZE } from '../../src/availability/availability-store.js'
import { tempDir } from '../helper.js'

// A store that cannot be made throws, and keeps no handle on its file: the service opens it again on
// its next use, and a leaked read-write handle (closed only when the garbage collector gets to it)
// kept the CSV directory's file system from being remounted read-only in the disk fault test.

/** this process's open files under `dir` */
function openUnder (dir: string): string[] {
  const open: string[] = []
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`)
      if (target.startsWith(dir)) open.push(target)
    } catch {} // the fd of readdir itself is gone by now
  }
  return open
}

t.test('a file that is not a database: the store throws and leaves no file open', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'availability.sqlite')
  writeFileSync(file, 'these are not the pages of a SQLite database, but they are long enough to be read as a header'.repeat(50))
  t.throws(() => new AvailabilityStore(file), /not a database/)
  t.same(openUnder(dir), [], 'no handle on the file or its -wal and -shm')
})

t.test('a store that opens has a 4 MB page cache per connection, and is closed by close(): the same check sees its handles come and go', async (t) => {
  const dir = tempDir(t)
  const store = new AvailabilityStore(join(dir, 'availability.sqlite'))
  t.ok(openUnder(dir).length > 0, 'an open store holds its file')
  // not better-sqlite3's 16 MB per connection (see CACHE_SIZE)
  t.equal(store.db.pragma('cache_size', { simple: true }), CACHE_SIZE, 'the writer\'s page cache')
  t.equal(store.reader.pragma('cache_size', { simple: true }), CACHE_SIZE, 'the reader\'s page cache')
  store.close()
  t.same(openUnder(dir), [])
})
