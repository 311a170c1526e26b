import { assert, describe, it } from "@effect/vitest"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { brotliDecompressSync, gunzipSync } from "node:zlib"
import type { ResolvedConfig } from "vite"
import { precompress } from "../precompress.ts"

/** Runs the plugin's hooks as `vite build` does, on a built bundle in `root/dist`. */
const runPlugin = (root: string) => {
  const plugin = precompress()
  const configResolved = plugin.configResolved as (config: ResolvedConfig) => void
  configResolved({ root, build: { outDir: "dist" } } as ResolvedConfig)
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
})
