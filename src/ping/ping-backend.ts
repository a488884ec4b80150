import { accessSync, constants, realpathSync } from 'node:fs'
import { basename, delimiter, isAbsolute, join } from 'node:path'
import type { PingBackend, PingBackendSetting } from './types.js'

/** The file a command name runs (a path, or looked up on PATH), or null when there is none. */
export function findExecutable (command: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | null {
  const exts = platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';')] : ['']
  const candidates = isAbsolute(command) || command.includes('/')
    ? exts.map((e) => command + e)
    : (env.PATH ?? '').split(delimiter).filter((d) => d !== '').flatMap((d) => exts.map((e) => join(d, command + e)))
  for (const c of candidates) {
    try {
      accessSync(c, platform === 'win32' ? constants.F_OK : constants.X_OK)
      return c
    } catch {}
  }
  return null
}

/**
 * PING_BACKEND=auto means fping when it is installed, else ping. Only looks at the file system, so
 * building the app still starts nothing; whether fping may actually ping is checked with the program
 * check at start (see PingEngine.checkProgram), which falls back to ping when auto chose fping.
 */
export function resolveBackend (setting: PingBackendSetting, fpingCommand: string, env: NodeJS.ProcessEnv = process.env): PingBackend {
  if (setting !== 'auto') return setting
  return findExecutable(fpingCommand, env) === null ? 'ping' : 'fping'
}

/** True when the ping command is BusyBox's applet (Alpine and other small Linux images). */
export function isBusyBox (command: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const file = findExecutable(command, env)
  if (file === null) return false
  try {
    return basename(realpathSync(file)).startsWith('busybox')
  } catch {
    return false
  }
}
