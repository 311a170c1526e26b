/**
 * Builds the publishable package into `dist/` (git-ignored): `npm run build -w @shop-mesh/sdk`, and before every
 * `npm pack` / `npm publish` (`prepack`).
 *
 * - JavaScript: one ES module per entry (`index.js`, `effect.js`) bundled by Rolldown with the contract
 *   (`@shop/domain`, a private workspace package) inlined and `effect` left as an import: it is a peer dependency.
 *   No Node built-in is imported, so browser bundlers take it as is.
 * - Types: declarations emitted by `tsc` for the SDK and the contract it is derived from, under `dist/types`, with
 *   their imports rewritten to point at each other (`@shop/domain` -> the emitted contract, `.ts` -> `.js`).
 */
import { execFileSync } from "node:child_process"
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { build } from "rolldown"

const root = resolve(import.meta.dirname, "..")
const dist = join(root, "dist")
rmSync(dist, { recursive: true, force: true })

await build({
  cwd: root,
  input: { index: "src/index.ts", effect: "src/effect.ts" },
  platform: "neutral",
  external: [/^effect($|\/)/],
  treeshake: true,
  output: {
    dir: dist,
    format: "esm",
    entryFileNames: "[name].js",
    chunkFileNames: "chunks/[name]-[hash].js",
    sourcemap: true
  }
})

const tsc = resolve(root, "../../node_modules/.bin/tsc")
execFileSync(tsc, ["-p", join(root, "tsconfig.build.json")], { cwd: root, stdio: "inherit" })

const types = join(dist, "types")
const domainIndex = join(types, "domain/src/index.d.ts")
const walk = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : [path]
  })
for (const file of walk(types).filter((path) => path.endsWith(".d.ts"))) {
  const toDomain = relative(dirname(file), domainIndex).replace(/\.d\.ts$/, ".js")
  const text = readFileSync(file, "utf8")
    .replace(/(["'])@shop\/domain\1/g, `"${toDomain.startsWith(".") ? toDomain : `./${toDomain}`}"`)
    .replace(/(["'])(\.{1,2}\/[^"']*?)\.ts\1/g, `"$2.js"`)
  writeFileSync(file, text)
}

// Nothing of the workspace may be left for the package's users to resolve.
for (const file of walk(dist).filter((path) => /\.(js|d\.ts)$/.test(path))) {
  const text = readFileSync(file, "utf8")
  const leak = /["'](@shop\/[\w-]+|node:[\w/]+)["']/.exec(text)
  if (leak !== null) throw new Error(`${relative(root, file)} imports ${leak[1]}`)
}
