import { readdirSync, statSync } from "node:fs"
import { join } from "node:path"

/** The newest modification time of a file or of anything under a folder (0 when it does not exist). */
export const newest = (path: string): number => {
  const stats = statSync(path, { throwIfNoEntry: false })
  if (stats === undefined) return 0
  if (!stats.isDirectory()) return stats.mtimeMs
  return readdirSync(path).reduce((latest, entry) => Math.max(latest, newest(join(path, entry))), stats.mtimeMs)
}

/** As make decides: `built` exists and is at least as new as every file of `inputs`, however deep in a folder. */
export const upToDate = (built: string, inputs: ReadonlyArray<string>): boolean => {
  const builtAt = statSync(built, { throwIfNoEntry: false })?.mtimeMs
  return builtAt !== undefined && inputs.every((input) => newest(input) <= builtAt)
}
