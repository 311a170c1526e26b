import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { delimiter, join, resolve } from "node:path"
import { gzipSync } from "node:zlib"
import { build } from "rolldown"
import { type Platform, startPlatform } from "../../gateway/test/e2e/Platform.ts"

// The REST API as a developer outside this repository meets it, against the platform as `npm start` runs it (ports
// shifted by 3000): the packed SDK installed with plain npm into an empty folder, and a client generated from
// docs/openapi.json by third-party tools.
const offset = 3000
const root = resolve(import.meta.dirname, "../../..")
const sdkDir = resolve(import.meta.dirname, "..")
const generatedClientDir = join(root, "tests/openapi-client")

// The machine's own Node and npm: PATH without the node_modules/.bin folders that put the repository's Node 24 first.
const machinePath = (process.env["PATH"] ?? "").split(delimiter).filter((dir) => !dir.includes("node_modules"))
  .join(delimiter)
const machineEnv = { ...process.env, PATH: machinePath, npm_config_update_notifier: "false" }

const exec = (file: string, args: ReadonlyArray<string>, options: { cwd: string; env?: NodeJS.ProcessEnv }) =>
  new Promise<string>((done, failed) =>
    execFile(
      file,
      args,
      { ...options, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 },
      (error, stdout, stderr) =>
        error === null
          ? done(stdout)
          : failed(new Error(`${file} ${args.join(" ")}: ${error.message}\n${stdout}\n${stderr}`))
    )
  )

/** The ten lines a new user writes: create a product (admin), search it, place an order (customer). */
const exampleScript = `import { ProblemError, ShopMesh } from "@shop-mesh/sdk"
const { BASE_URL, ADMIN_TOKEN, CUSTOMER_TOKEN, SKU } = process.env
const admin = new ShopMesh({ baseUrl: BASE_URL, token: ADMIN_TOKEN })
const product = await admin.products.create({ name: "Wireless Mouse", description: "Ergonomic wireless mouse with 3200 DPI", price: 29.99, sku: SKU, inventory: 100, category: "Electronics" })
const found = await admin.products.search({ q: "wireless mouse", category: "Electronics", min_price: 20, max_price: 50, limit: 10 })
const shop = new ShopMesh({ baseUrl: BASE_URL, token: CUSTOMER_TOKEN })
const order = await shop.orders.create({ items: [{ product_id: product.id, quantity: 2 }], shipping_address: { street: "123 Main St", city: "San Francisco", state: "CA", zip: "94102" }, payment_method: "credit_card", idempotency_key: "order_" + SKU })
const missing = await shop.orders.get("ord_missing").catch((error) => error instanceof ProblemError ? { status: error.status, code: error.code } : String(error))
console.log(JSON.stringify({ product, found: found.products.map((hit) => hit.id), order, missing, node: process.version }))
`

/** The same against the package's types: TypeScript must accept it with the declarations the package ships. */
const typedScript = `import { type CreateProductInput, ProblemError, ShopMesh } from "@shop-mesh/sdk"
import { Cents, ShopClient } from "@shop-mesh/sdk/effect"
declare const process: { readonly env: Record<string, string | undefined> }
const shop = new ShopMesh({ baseUrl: process.env["BASE_URL"] ?? "http://localhost:8080" })
const input: CreateProductInput = { name: "Wireless Mouse", price: 29.99, sku: "MOUSE-001", inventory: 100, category: "Electronics" }
const product = await shop.products.create(input)
const price: number = product.price
// @ts-expect-error: prices are numbers on the wire, so a string is refused at compile time
await shop.products.update(product.id, { price: "29.99" })
export const failed = (error: unknown) => error instanceof ProblemError ? error.status : price
export const layer = ShopClient.layer({ baseUrl: "http://localhost:8080" })
export const cents = Cents.make(2999)
`

let platform: Platform
let consumerDir: string
let tarball: string

describe("a client developer outside the repository", () => {
  beforeAll(async () => {
    consumerDir = mkdtempSync(join(tmpdir(), "shop-mesh-sdk-user-"))
    const [, packed] = await Promise.all([
      startPlatform(offset).then((started) => (platform = started)),
      exec("npm", ["pack", "--json", "--pack-destination", consumerDir], { cwd: sdkDir })
    ])
    tarball = join(consumerDir, (JSON.parse(packed) as Array<{ filename: string }>)[0]!.filename)
    // An empty folder, plain npm on the machine's Node: the SDK's peer dependency (effect) comes from the registry.
    writeFileSync(join(consumerDir, "package.json"), JSON.stringify({ name: "shop-user", private: true }))
    await exec("npm", ["install", "--no-audit", "--no-fund", tarball], { cwd: consumerDir, env: machineEnv })
    await exec("npm", ["ci", "--no-audit", "--no-fund"], { cwd: generatedClientDir, env: machineEnv })
  }, 400_000)
  afterAll(async () => {
    await platform?.stop()
    if (consumerDir !== undefined) rmSync(consumerDir, { recursive: true, force: true })
  }, 60_000)

  it("packs the SDK as built JavaScript and declarations, with effect as its only (peer) dependency", () => {
    const installed = JSON.parse(
      readFileSync(join(consumerDir, "node_modules/@shop-mesh/sdk/package.json"), "utf8")
    )
    assert.deepStrictEqual(Object.keys(installed.peerDependencies), ["effect"])
    assert.isUndefined(installed.dependencies)
    assert.notMatch(JSON.stringify(installed.exports), /(?<!\.d)\.ts"/) // no TypeScript source to strip
    const lock = JSON.parse(readFileSync(join(consumerDir, "package-lock.json"), "utf8"))
    assert.deepStrictEqual(Object.keys(lock.packages).filter((path) => path !== "").toSorted(), [
      "node_modules/@shop-mesh/sdk",
      "node_modules/effect"
    ])
  })

  for (const [label, node] of [["the machine's Node (PATH)", "node"], ["Node 24", process.execPath]] as const) {
    it(`runs the ten-line example on ${label}: a product created, found by search, an order placed`, async () => {
      writeFileSync(join(consumerDir, "example.mjs"), exampleScript)
      const sku = `SDK-${Date.now().toString(36)}-${node.length}`.toUpperCase()
      const out = await exec(node, ["example.mjs"], {
        cwd: consumerDir,
        env: {
          ...machineEnv,
          BASE_URL: platform.gateway,
          ADMIN_TOKEN: await platform.token("admin_1", ["admin"]),
          CUSTOMER_TOKEN: await platform.token("user_123"),
          SKU: sku
        }
      })
      const result = JSON.parse(out)
      if (node === "node") assert.match(result.node, /^v20\./, "the machine's Node is Node 20")
      assert.match(result.product.id, /^prod_/)
      assert.strictEqual(result.product.price, 29.99)
      assert.strictEqual(result.product.sku, sku)
      assert.include(result.found, result.product.id)
      assert.match(result.order.order_id, /^ord_/)
      assert.include(["pending", "confirmed"], result.order.status)
      assert.strictEqual(result.order.total_amount, 59.98)
      assert.deepStrictEqual(result.missing, { status: 404, code: "not-found" })
    })
  }

  it("type-checks a TypeScript user's code against the declarations the package ships", async () => {
    writeFileSync(join(consumerDir, "typed.mts"), typedScript)
    writeFileSync(
      join(consumerDir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2023",
          lib: ["ES2023", "DOM"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: []
        },
        files: ["typed.mts"]
      })
    )
    await exec(join(root, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], { cwd: consumerDir })
    // ...and the check can fail: a wrong member is a compile error
    writeFileSync(join(consumerDir, "typed.mts"), typedScript.replace("price: 29.99, sku", "prize: 29.99, sku"))
    const error = await exec(join(root, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], { cwd: consumerDir })
      .then(() => "compiled", (e: Error) => e.message)
    assert.include(error, "prize")
  })

  it("bundles for the browser with no Node built-in (Rolldown, platform browser)", async () => {
    writeFileSync(
      join(consumerDir, "browser.mjs"),
      `import { ShopMesh } from "@shop-mesh/sdk"\nexport const shop = new ShopMesh({ baseUrl: location.origin })\n`
    )
    const bundle = await build({
      cwd: consumerDir,
      input: join(consumerDir, "browser.mjs"),
      platform: "browser",
      write: false,
      output: { format: "esm", minify: true, codeSplitting: false }
    })
    const code = bundle.output.map((chunk) => ("code" in chunk ? chunk.code : "")).join("")
    assert.notMatch(code, /["']node:/)
    assert.notMatch(code, /\brequire\(/)
    assert.include(code, "/api/v1/products/search")
    // 251 KB minified, 79 KB gzipped when measured (most of it Effect's Schema and HTTP client): a budget, not a goal
    assert.isBelow(gzipSync(code).length, 120_000, `browser bundle: ${code.length} bytes`)
  })

  it("runs the spec's examples 2 to 5 through a client generated by openapi-typescript and openapi-fetch", async () => {
    const bin = (name: string) => join(generatedClientDir, "node_modules/.bin", name)
    await exec(bin("openapi-typescript"), [join(root, "docs/openapi.json"), "--output", "schema.d.ts"], {
      cwd: generatedClientDir,
      env: machineEnv
    })
    await exec(bin("tsc"), ["-p", "tsconfig.json"], { cwd: generatedClientDir, env: machineEnv })
    const out = await exec(process.execPath, ["examples.ts"], {
      cwd: generatedClientDir,
      env: {
        ...process.env,
        BASE_URL: platform.gateway,
        ADMIN_TOKEN: await platform.token("admin_1", ["admin"]),
        CUSTOMER_TOKEN: await platform.token("user_456")
      }
    })
    const result = JSON.parse(out)
    assert.strictEqual(result.created.status, 201)
    assert.strictEqual(result.created.body.price, 29.99)
    assert.strictEqual(result.search.status, 200)
    assert.include(result.search.ids, result.created.body.id)
    assert.include([201, 202], result.order.status)
    assert.strictEqual(result.order.body.total_amount, 89.97)
    assert.strictEqual(result.final.status, 200)
    assert.strictEqual(result.final.body.status, "confirmed")
    assert.strictEqual(result.final.body.payment_status, "completed")
    assert.lengthOf(result.final.body.items, 2)
    assert.deepStrictEqual(result.missing, { status: 404, type: "/problems/not-found" })
  })
})
