/**
 * `npm start`'s first step: builds the storefront (`npm run build:storefront`) unless its build is newer than every
 * file it is built from (the storefront's sources and the domain package it imports), as make would. A start after
 * the first then skips the build (a second or two). `--force` always builds.
 */
import { execFileSync } from "node:child_process"
import { join, resolve } from "node:path"
import { upToDate } from "./up-to-date.ts"

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

const stale = process.argv.includes("--force") || !upToDate(built, inputs)
if (stale) {
  const args = ["run", "-s", "build", "-w", "@shop/storefront"]
  const npm = process.env.npm_execpath
  // under npm, the same npm on the same Node; run by hand, the npm on PATH
  if (npm === undefined) execFileSync("npm", args, { cwd: root, stdio: "inherit" })
  else execFileSync(process.execPath, [npm, ...args], { cwd: root, stdio: "inherit" })
}
