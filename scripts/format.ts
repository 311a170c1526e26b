/**
 * `npm run format [-- files]` rewrites, `npm run format -- --check` reports: dprint's own WebAssembly plugins driven from
 * Node with the settings of dprint.json. The dprint CLI ships as per-platform binary packages, several of which this
 * project's registry cannot serve, which would leave package-lock.json unusable for `npm ci`.
 */
import { createContext } from "@dprint/formatter"
import * as json from "@dprint/json"
import * as typescript from "@dprint/typescript"
import { globSync, readFileSync, writeFileSync } from "node:fs"
import { matchesGlob, resolve } from "node:path"

const root = resolve(import.meta.dirname, "..")
const config = JSON.parse(readFileSync(resolve(root, "dprint.json"), "utf8")) as {
  readonly lineWidth: number
  readonly indentWidth: number
  readonly typescript: Record<string, unknown>
  readonly json: Record<string, unknown>
  readonly includes: ReadonlyArray<string>
  readonly excludes: ReadonlyArray<string>
}
const check = process.argv.includes("--check")
// Paths given on the command line narrow the run to those files.
const only = process.argv.slice(2).filter((arg) => !arg.startsWith("--"))

const context = createContext({ lineWidth: config.lineWidth, indentWidth: config.indentWidth })
context.addPlugin(readFileSync(typescript.getPath()), config.typescript)
context.addPlugin(readFileSync(json.getPath()), config.json)

/** A path is excluded when it matches an exclude pattern or lies below one. */
const excluded = (path: string) =>
  config.excludes.some((pattern) => matchesGlob(path, pattern) || matchesGlob(path, `${pattern}/**`))

const files = config.includes.flatMap((pattern) =>
  globSync(pattern, { cwd: root, exclude: (p) => p === "node_modules" })
)
  .filter((path) => !excluded(path))
  .filter((path) => only.length === 0 || only.some((given) => resolve(root, given) === resolve(root, path)))
const unformatted: Array<string> = []
for (const path of new Set(files)) {
  const text = readFileSync(resolve(root, path), "utf8")
  const formatted = context.formatText({ filePath: path, fileText: text })
  if (formatted === text) continue
  unformatted.push(path)
  if (!check) writeFileSync(resolve(root, path), formatted)
}
if (check && unformatted.length > 0) {
  console.error(`not formatted (run npm run format):\n${unformatted.map((path) => `  ${path}`).join("\n")}`)
  process.exit(1)
}
console.log(
  `${files.length} files ${check ? "checked" : "formatted"}${
    unformatted.length ? `, ${unformatted.length} rewritten` : ""
  }`
)
