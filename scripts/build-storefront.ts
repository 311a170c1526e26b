/**
 * `npm start`'s first step: builds the storefront (`npm run build:storefront`) unless its build is newer than every
 * file it is built from (the storefront's sources and the domain package it imports), as make would. A start after
 * the first then skips the build (a second or two). `--force` always builds.
 */
import { execFileSync } from "node:child_process"
import { readdirSync, statSync } from "node:fs"
import { join, resolve } from "node:path"

const root = resolve(import.meta.dirname, "..")
const storefront = join(root, "packages/storefront")
const inputs = [
  join(storefront, "index.html"),
  join(storefront, "vite.config.ts"),
  join(storefront, "package.json"),
  join(storefront, "src"),
  join(storefront, "public"),
  join(root, "packages/domain/src"),
  join(root, "packages/domain/package.json")
]
const built = join(storefront, "dist/index.html")

const mtimeOf = (path: string): number | undefined => {
  try {
    return statSync(path).mtimeMs
  } catch {
    return undefined
  }
}

/** The newest modification time of a file or of anything under a folder. */
const newest = (path: string): number => {
  const stats = statSync(path, { throwIfNoEntry: false })
  if (stats === undefined) return 0
  if (!stats.isDirectory()) return stats.mtimeMs
  return readdirSync(path).reduce((latest, entry) => Math.max(latest, newest(join(path, entry))), stats.mtimeMs)
}

const builtAt = mtimeOf(built)
const stale = process.argv.includes("--force") || builtAt === undefined ||
  inputs.some((input) => newest(input) > builtAt)
if (stale) {
  const args = ["run", "-s", "build", "-w", "@shop/storefront"]
  const npm = process.env.npm_execpath
  // under npm, the same npm on the same Node; run by hand, the npm on PATH
  if (npm === undefined) execFileSync("npm", args, { cwd: root, stdio: "inherit" })
  else execFileSync(process.execPath, [npm, ...args], { cwd: root, stdio: "inherit" })
}
