import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * The node flags a build's `npm run start:prod` passes (its package.json), for a build's
 * dist/src/server.js: the bench starts each build as production does, so a before/after compares
 * what operators run (src/heap-settings.ts, COMMAND_LINE_FLAGS: flags only node's command line can set).
 * A tree without a package.json or without the script starts with no flags.
 */
export function startProdNodeFlags (serverJs: string): string[] {
  let script: unknown
  try {
    script = JSON.parse(readFileSync(join(dirname(serverJs), '..', '..', 'package.json'), 'utf8'))?.scripts?.['start:prod']
  } catch {
    return []
  }
  return typeof script === 'string' ? nodeFlagsOf(script) : []
}

/** The flags between `node` and the script in a shell command: "NODE_ENV=production node --a --b x.js" → [--a, --b]. */
export function nodeFlagsOf (command: string): string[] {
  const words = command.trim().split(/\s+/)
  const at = words.indexOf('node')
  if (at < 0) return []
  const flags: string[] = []
  for (const w of words.slice(at + 1)) {
    if (!w.startsWith('-')) break
    flags.push(w)
  }
  return flags
}
