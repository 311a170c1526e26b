import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { extname, join, resolve } from "node:path"
import { brotliCompressSync, constants, gzipSync } from "node:zlib"
import type { Plugin } from "vite"

/** The kinds of file worth compressing; images such as PNG are compressed already. */
const compressible = new Set([".html", ".js", ".css", ".svg", ".json", ".webmanifest", ".txt"])

/** Every file under `dir`, at any depth. */
const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))

/**
 * Writes `name.br` (brotli, quality 11) and `name.gz` (gzip, level 9) next to every compressible file of the built
 * bundle. The gateway serves these from memory; compressing at build time instead of at each start-up saves every
 * gateway about a second of CPU while it starts (brotli's best quality is slow, and it is worth it only once).
 */
export const precompress = (): Plugin => {
  let outDir = "dist"
  return {
    name: "shop:precompress",
    apply: "build",
    configResolved: (config) => {
      outDir = resolve(config.root, config.build.outDir)
    },
    closeBundle: () => {
      for (const path of filesUnder(outDir)) {
        if (!compressible.has(extname(path))) continue
        const body = readFileSync(path)
        if (body.length <= 512) continue
        writeFileSync(`${path}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }))
        writeFileSync(`${path}.gz`, gzipSync(body, { level: 9 }))
      }
    }
  }
}
