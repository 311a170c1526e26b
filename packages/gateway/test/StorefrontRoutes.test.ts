import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { brotliCompressSync, brotliDecompressSync } from "node:zlib"
import { storefrontPages } from "../src/storefront/StorefrontRoutes.ts"
import { downAddress, startGateway } from "./fixtures/TestGateway.ts"

const indexHtml = `<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head>
<body><div id="app"></div></body></html>`
const script = `console.log(${JSON.stringify("x".repeat(4000))})`

/** A built bundle in a temporary folder, removed when the scope closes. */
const bundle = Effect.acquireRelease(
  Effect.sync(() => {
    const dir = mkdtempSync(join(tmpdir(), "storefront-"))
    mkdirSync(join(dir, "assets"))
    writeFileSync(join(dir, "index.html"), indexHtml)
    writeFileSync(join(dir, "assets", "index-abc123.js"), script)
    writeFileSync(join(dir, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>")
    return dir
  }),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

const gatewayWith = (dir: string) =>
  startGateway({ STOREFRONT_DIR: dir, PRODUCT_GRPC_ADDR: downAddress, ORDER_GRPC_ADDR: downAddress })

const get = (url: string, headers: Record<string, string> = {}) => Effect.promise(() => fetch(url, { headers }))

/** A GET asking for brotli, with the bytes as they came on the wire: fetch would undo the encoding. */
const getOnTheWire = (url: string) =>
  Effect.promise(() =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((done, fail) => {
      import("node:http").then(({ get: httpGet }) =>
        httpGet(url, { headers: { "accept-encoding": "gzip, br" } }, (response) => {
          const chunks: Array<Buffer> = []
          response.on("data", (chunk: Buffer) => chunks.push(chunk))
          response.on("end", () =>
            done({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }))
        }).on("error", fail)
      )
    })
  )

describe("storefront routes", () => {
  it.live("answer every page with index.html and its security headers, deep links included", () =>
    Effect.gen(function*() {
      const baseUrl = yield* gatewayWith(yield* bundle)
      const paths = storefrontPages.map((page) =>
        page.replace(":id", "ord_1abc").replace("*", "products").replace("/products/ord", "/products/prod")
      )
      for (const path of [...paths, "/admin"]) {
        const response = yield* get(`${baseUrl}${path}`)
        assert.strictEqual(response.status, 200, path)
        assert.strictEqual(response.headers.get("content-type"), "text/html; charset=utf-8")
        assert.strictEqual(yield* Effect.promise(() => response.text()), indexHtml)
        assert.match(response.headers.get("content-security-policy")!, /script-src 'self';/)
        assert.strictEqual(response.headers.get("cache-control"), "no-cache")
      }
    }).pipe(Effect.scoped))

  it.live("serve hashed assets compressed, cacheable for a year, and 304 on a matching ETag", () =>
    Effect.gen(function*() {
      const baseUrl = yield* gatewayWith(yield* bundle)
      const url = `${baseUrl}/assets/index-abc123.js`
      const raw = yield* getOnTheWire(url)
      assert.strictEqual(raw.headers["content-encoding"], "br")
      assert.strictEqual(raw.headers["cache-control"], "public, max-age=31536000, immutable")
      assert.isBelow(raw.body.length, script.length / 10)
      assert.strictEqual(brotliDecompressSync(raw.body).toString(), script)

      const plain = yield* get(url)
      const etag = plain.headers.get("etag")!
      assert.strictEqual(yield* Effect.promise(() => plain.text()), script)
      const again = yield* get(url, { "if-none-match": etag })
      assert.strictEqual(again.status, 304)
    }).pipe(Effect.scoped))

  it.live("serve the forms the build compressed, never as files of their own, and not once the file is newer", () =>
    Effect.gen(function*() {
      const dir = yield* bundle
      const asset = join(dir, "assets", "index-abc123.js")
      // a marker only the build's form holds: served as-is, it shows the gateway did not compress the file itself
      const built = brotliCompressSync(`${script}/* built */`)
      writeFileSync(`${asset}.br`, built)
      const stale = join(dir, "assets", "logo-def456.svg")
      writeFileSync(stale, `<svg xmlns='http://www.w3.org/2000/svg'>${" ".repeat(2000)}</svg>`)
      writeFileSync(`${stale}.br`, brotliCompressSync("an older build"))
      utimesSync(`${stale}.br`, new Date(0), new Date(0))
      const baseUrl = yield* gatewayWith(dir)

      const served = yield* getOnTheWire(`${baseUrl}/assets/index-abc123.js`)
      assert.strictEqual(served.headers["content-encoding"], "br")
      assert.deepStrictEqual(served.body, built)
      const recompressed = yield* getOnTheWire(`${baseUrl}/assets/logo-def456.svg`)
      assert.strictEqual(recompressed.headers["content-encoding"], "br")
      assert.match(brotliDecompressSync(recompressed.body).toString(), /^<svg/)
      for (const path of ["/assets/index-abc123.js.br", "/assets/logo-def456.svg.br"]) {
        assert.strictEqual((yield* get(`${baseUrl}${path}`)).status, 404, path)
      }
    }).pipe(Effect.scoped))

  it.live("never serve anything outside the bundle, and keep unknown paths 404 problems", () =>
    Effect.gen(function*() {
      const baseUrl = yield* gatewayWith(yield* bundle)
      // (fetch resolves `/assets/../index.html` to `/index.html`, which is no page either)
      for (const path of ["/assets/missing.js", "/assets/..%2F..%2Fpackage.json", "/assets/../index.html", "/nope"]) {
        const response = yield* get(`${baseUrl}${path}`)
        assert.strictEqual(response.status, 404, path)
        assert.strictEqual(response.headers.get("content-type"), "application/problem+json", path)
      }
    }).pipe(Effect.scoped))

  it.live("answer a 503 problem that says how to build when the bundle is missing", () =>
    Effect.gen(function*() {
      const baseUrl = yield* gatewayWith(join(tmpdir(), "no-such-storefront"))
      const response = yield* get(`${baseUrl}/`)
      assert.strictEqual(response.status, 503)
      const problem = yield* Effect.promise(() => response.json())
      assert.match(problem.detail, /npm run build:storefront/)
      const api = yield* get(`${baseUrl}/openapi.json`)
      assert.strictEqual(api.status, 200)
    }).pipe(Effect.scoped))
})
