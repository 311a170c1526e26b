import { Config, Context, Effect, Layer } from "effect"
import { createHash } from "node:crypto"
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { extname, join, relative, resolve } from "node:path"
import { brotliCompressSync, constants, gzipSync } from "node:zlib"

/** One file of the storefront bundle, held in memory with its compressed forms. */
export interface StorefrontAsset {
  readonly contentType: string
  readonly etag: string
  readonly body: Uint8Array
  readonly gzip: Uint8Array | undefined
  readonly brotli: Uint8Array | undefined
  /** Vite puts a content hash in every name under `assets/`, so those never change and may be cached for a year. */
  readonly immutable: boolean
}

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".webmanifest": "application/manifest+json",
  ".txt": "text/plain; charset=utf-8"
}
const compressible = new Set([".html", ".js", ".css", ".svg", ".json", ".webmanifest", ".txt"])

const walk = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : [path]
  })

/** Build-time compressed forms (`name.br`, `name.gz`) are not files of their own but forms of `name`. */
const precompressedSuffixes = [".br", ".gz"]
const isPrecompressedForm = (path: string, all: ReadonlySet<string>): boolean =>
  precompressedSuffixes.some((suffix) => path.endsWith(suffix) && all.has(path.slice(0, -suffix.length)))

/** The form the storefront's build wrote next to a file, unless the file is newer than it (edited after the build). */
const builtForm = (path: string, suffix: string, all: ReadonlySet<string>): Uint8Array | undefined =>
  all.has(path + suffix) && statSync(path + suffix).mtimeMs >= statSync(path).mtimeMs
    ? new Uint8Array(readFileSync(path + suffix))
    : undefined

const load = (path: string, urlPath: string, all: ReadonlySet<string>): StorefrontAsset => {
  const body = new Uint8Array(readFileSync(path))
  const extension = extname(path)
  const squeeze = compressible.has(extension) && body.length > 512
  return {
    contentType: contentTypes[extension] ?? "application/octet-stream",
    etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`,
    body,
    // The build compresses at the best settings; a bundle that was not built that way is compressed here, at
    // settings fast enough not to hold up the start (brotli's quality 11 costs about a second for the bundle).
    gzip: squeeze ? builtForm(path, ".gz", all) ?? new Uint8Array(gzipSync(body, { level: 6 })) : undefined,
    brotli: squeeze
      ? builtForm(path, ".br", all) ??
        new Uint8Array(brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } }))
      : undefined,
    immutable: urlPath.startsWith("/assets/")
  }
}

/**
 * The storefront's production bundle (`packages/storefront/dist`, built by `npm start` and at install), read once
 * at start-up: a few hundred kilobytes, served from memory with gzip and brotli forms (written by the build). Only
 * files of the bundle can be served, by exact path, so no request path ever reaches the file system.
 */
export class StorefrontAssets extends Context.Service<StorefrontAssets, {
  /** The folder the bundle was read from. */
  readonly dir: string
  /** `index.html`, the page every storefront route answers with; undefined when the bundle is not built. */
  readonly index: StorefrontAsset | undefined
  /** A file by its URL path (`/assets/index-3f2a.js`). */
  readonly get: (urlPath: string) => StorefrontAsset | undefined
}>()("gateway/StorefrontAssets") {
  static readonly layer = Layer.effect(
    StorefrontAssets,
    Effect.gen(function*() {
      const dir = resolve(
        yield* Config.String("STOREFRONT_DIR").pipe(
          Config.withDefault(resolve(import.meta.dirname, "../../../storefront/dist"))
        )
      )
      const files = new Map<string, StorefrontAsset>()
      if (existsSync(join(dir, "index.html"))) {
        const all = new Set(walk(dir))
        for (const path of all) {
          if (isPrecompressedForm(path, all)) continue
          const urlPath = `/${relative(dir, path).split("\\").join("/")}`
          files.set(urlPath, load(path, urlPath, all))
        }
      } else {
        yield* Effect.logWarning("the storefront is not built: / answers 503 until `npm run build:storefront`", {
          dir
        })
      }
      return StorefrontAssets.of({ dir, index: files.get("/index.html"), get: (urlPath) => files.get(urlPath) })
    })
  )
}
