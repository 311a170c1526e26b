import { assert, describe, it } from "@effect/vitest"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { brotliDecompressSync, gunzipSync } from "node:zlib"
import type { ResolvedConfig } from "vite"
import { precompress } from "../precompress.ts"

/** Runs the plugin's hooks as `vite build` does, on a bundle built into `outDir` (relative to `root`, or absolute). */
const runPlugin = (root: string, outDir = "dist") => {
  const plugin = precompress()
  const configResolved = plugin.configResolved as (config: ResolvedConfig) => void
  configResolved({ root, build: { outDir } } as ResolvedConfig)
  ;(plugin.closeBundle as () => void)()
}

describe("precompress", () => {
  it("writes brotli and gzip forms of every compressible file worth it, and none of the others", () => {
    const root = mkdtempSync(join(tmpdir(), "precompress-"))
    try {
      const dist = join(root, "dist")
      mkdirSync(join(dist, "assets"), { recursive: true })
      const script = `console.log(${JSON.stringify("y".repeat(3000))})`
      writeFileSync(join(dist, "assets", "index-abc.js"), script)
      writeFileSync(join(dist, "tiny.svg"), "<svg/>")
      writeFileSync(join(dist, "photo.png"), Buffer.alloc(4096, 7))

      runPlugin(root)

      const asset = join(dist, "assets", "index-abc.js")
      assert.strictEqual(brotliDecompressSync(readFileSync(`${asset}.br`)).toString(), script)
      assert.strictEqual(gunzipSync(readFileSync(`${asset}.gz`)).toString(), script)
      for (const skipped of ["tiny.svg", "photo.png"]) {
        assert.isFalse(existsSync(join(dist, `${skipped}.br`)), skipped)
        assert.isFalse(existsSync(join(dist, `${skipped}.gz`)), skipped)
      }
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it("finds a bundle built into an absolute folder (vite build --outDir /elsewhere)", () => {
    const root = mkdtempSync(join(tmpdir(), "precompress-root-"))
    const elsewhere = mkdtempSync(join(tmpdir(), "precompress-out-"))
    try {
      writeFileSync(join(elsewhere, "index.html"), `<!doctype html>${"<p>z</p>".repeat(200)}`)
      runPlugin(root, elsewhere)
      assert.isTrue(existsSync(join(elsewhere, "index.html.br")))
    } finally {
      rmSync(root, { recursive: true, force: true })
      rmSync(elsewhere, { recursive: true, force: true })
    }
  })
})
