import { assert, describe, it } from "@effect/vitest"
import * as grpc from "@grpc/grpc-js"
import { NotificationAdminServiceService } from "@shop/proto/notification/v1/notification_admin"
import { OrderServiceService } from "@shop/proto/order/v1/order"
import { OrderAdminServiceService } from "@shop/proto/order/v1/order_admin"
import { PaymentServiceService } from "@shop/proto/payment/v1/payment"
import { PaymentAdminServiceService } from "@shop/proto/payment/v1/payment_admin"
import { ProductServiceService } from "@shop/proto/product/v1/product"
import { Effect, Layer } from "effect"
import { generateKeyPairSync } from "node:crypto"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { edgesOf, ShopCallerPolicy } from "../../src/grpc/CallerPolicy.ts"
import * as GrpcClient from "../../src/grpc/GrpcClient.ts"
import { checkHealth } from "../../src/grpc/GrpcHealth.ts"
import * as GrpcService from "../../src/grpc/GrpcService.ts"
import { authenticator, ServiceIdentity, VerifiedCaller } from "../../src/grpc/ServiceIdentity.ts"
import { openKeyRing } from "../../src/grpc/ServiceKeys.ts"
import { mintToken, verifyToken } from "../../src/grpc/ServiceTokens.ts"
import { startServer } from "./fixtures.ts"

const keysDir = () => mkdtempSync(join(tmpdir(), "shop-service-keys-"))
const now = () => Math.floor(Date.now() / 1000)

// A product service whose GetProduct answers with the verified caller's name.
const echoCaller = GrpcService.layerPartial(ProductServiceService, {
  getProduct: () =>
    Effect.map(Effect.service(VerifiedCaller), (caller: string | undefined) => ({
      product: {
        id: "prod_1",
        name: caller ?? "nobody",
        description: "",
        priceCents: 1,
        currency: "USD",
        sku: "X",
        category: "C",
        inventory: 1,
        reserved: 0,
        available: 1,
        createdAt: "",
        updatedAt: ""
      }
    })),
  reserveInventory: () => Effect.succeed({ reservation: undefined, replayed: false })
})

/** A product server that verifies callers with keys in `dir`, and a client signing as `caller` from `dir`. */
const setup = (dir: string) =>
  Effect.gen(function*() {
    const product = yield* ServiceIdentity.pipe(Effect.provide(ServiceIdentity.layerWith({ name: "product", dir })))
    yield* product.ready
    const { address } = yield* startServer(echoCaller, { authenticate: authenticator(product) })
    const clientAs = (caller: string, callerDir = dir) =>
      GrpcClient.make({ address, service: "product", deadline: "5 seconds" }).pipe(
        Effect.provide(ServiceIdentity.layerWith({ name: caller, dir: callerDir }))
      )
    return { address, clientAs }
  })

const getProduct = (client: GrpcClient.GrpcClient) =>
  client.unary(ProductServiceService.getProduct, { id: "prod_1" }).pipe(Effect.map((res) => res.product?.name))

describe("service identity on gRPC calls", () => {
  it.live("the callee sees the verified caller; each RPC admits only its allowed callers", () =>
    Effect.gen(function*() {
      const { clientAs } = yield* setup(keysDir())
      const gateway = yield* clientAs("gateway")
      const order = yield* clientAs("order")
      assert.strictEqual(yield* getProduct(gateway), "gateway")
      assert.strictEqual(yield* getProduct(order), "order")
      const reserve = { orderId: "ord_1", items: [], ttlSeconds: 60 }
      const denied = yield* gateway.unary(ProductServiceService.reserveInventory, reserve).pipe(Effect.flip)
      assert.strictEqual(denied._tag, "Forbidden")
      assert.include((denied as { detail: string }).detail, "gateway may not call")
      yield* order.unary(ProductServiceService.reserveInventory, reserve)
      // notification has a key, but no RPC of product lists it
      const notification = yield* clientAs("notification")
      assert.strictEqual((yield* getProduct(notification).pipe(Effect.flip))._tag, "Forbidden")
    }).pipe(Effect.scoped))

  it.live("a call without a valid service identity is refused: none, forged, replayed elsewhere, garbage", () =>
    Effect.gen(function*() {
      const dir = keysDir()
      const { address, clientAs } = yield* setup(dir)
      const anonymous = yield* GrpcClient.make({ address, service: "product" })
      const none = yield* getProduct(anonymous).pipe(Effect.flip)
      assert.strictEqual(none._tag, "Unauthorized")
      // the genuine order key, in the directory product trusts
      const orderKey = openKeyRing({ dir, self: "order", production: false }).privateKey()
      // an "order" key that product does not trust: made elsewhere
      const rogue = yield* clientAs("order", keysDir())
      const forged = yield* getProduct(rogue).pipe(Effect.flip)
      assert.strictEqual(forged._tag, "Unauthorized")
      assert.include((forged as { detail: string }).detail, "bad signature")
      // a genuine order token addressed to payment, replayed to product
      const forPayment = mintToken({ iss: "order", aud: "payment", iat: now(), exp: now() + 60 }, orderKey)
      const expired = mintToken({ iss: "order", aud: "product", iat: now() - 600, exp: now() - 300 }, orderKey)
      const withToken = (value: string) => {
        const metadata = new grpc.Metadata()
        metadata.set("authorization", value)
        return anonymous.unary(ProductServiceService.getProduct, { id: "prod_1" }, { metadata }).pipe(Effect.flip)
      }
      assert.include(((yield* withToken(`Bearer ${forPayment}`)) as { detail: string }).detail, "wrong audience")
      assert.include(((yield* withToken(`Bearer ${expired}`)) as { detail: string }).detail, "expired")
      for (const garbage of ["Bearer x.y.z", "Bearer ", "Basic b3JkZXI6b3JkZXI=", `Bearer ${"a".repeat(5000)}`]) {
        assert.strictEqual((yield* withToken(garbage))._tag, "Unauthorized", garbage)
      }
      // the health protocol stays open: load balancers and probes carry no identity
      assert.strictEqual(yield* checkHealth(address), "SERVING")
    }).pipe(Effect.scoped))

  it("tokens: one algorithm, one audience, a bounded life; a header that is not exactly ours is refused", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519")
    const other = generateKeyPairSync("ed25519")
    const options = { audience: "payment", publicKeys: [publicKey], now: now(), skew: 30, maxLifetime: 900 }
    const token = mintToken({ iss: "order", aud: "payment", iat: now(), exp: now() + 300 }, privateKey)
    assert.deepInclude(verifyToken(token, options) as object, { iss: "order", aud: "payment" })
    assert.strictEqual(verifyToken(token, { ...options, publicKeys: [other.publicKey] }), "bad signature")
    assert.strictEqual(verifyToken(token, { ...options, publicKeys: [other.publicKey, publicKey] }).constructor, Object)
    assert.strictEqual(verifyToken(token, { ...options, audience: "product" }), "wrong audience")
    assert.strictEqual(verifyToken(token, { ...options, now: now() + 400 }), "expired")
    assert.strictEqual(verifyToken(token, { ...options, now: now() - 100 }), "not yet valid")
    const long = mintToken({ iss: "order", aud: "payment", iat: now(), exp: now() + 3600 }, privateKey)
    assert.strictEqual(verifyToken(long, options), "lifetime too long")
    const [, payload, signature] = token.split(".")
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
    for (
      const header of [
        { alg: "none", typ: "JWT", kid: "order" },
        { alg: "HS256", typ: "JWT", kid: "order" },
        { typ: "JWT", alg: "EdDSA", kid: "order" }, // same members, another byte sequence
        { alg: "EdDSA", typ: "JWT", kid: "../order" }
      ]
    ) {
      assert.strictEqual(verifyToken(`${b64(header)}.${payload}.${signature}`, options), "malformed token")
    }
    // claims changed after signing
    const tampered = `${token.split(".")[0]}.${
      b64({ iss: "order", aud: "payment", iat: now(), exp: now() + 900 })
    }.${signature}`
    assert.strictEqual(verifyToken(tampered, options), "bad signature")
  })

  it("development creates a key once, even when several processes start at once; production never creates one", () => {
    const dir = keysDir()
    const rings = Array.from({ length: 5 }, () => openKeyRing({ dir, self: "order", production: false }))
    const keys = rings.map((ring) => ring.privateKey().export({ type: "pkcs8", format: "pem" }))
    assert.strictEqual(new Set(keys).size, 1)
    assert.include(readFileSync(join(dir, "order.pub"), "utf8"), "BEGIN PUBLIC KEY")
    const production = openKeyRing({ dir: keysDir(), self: "order", production: true })
    assert.throws(() => production.privateKey(), /production never creates service keys/)
    // a rotated peer: both keys trusted while the old one is still in use
    const next = generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" }) as string
    writeFileSync(join(dir, "order.pub"), readFileSync(join(dir, "order.pub"), "utf8") + next)
    const reader = openKeyRing({ dir, self: "payment", production: false })
    assert.lengthOf(reader.publicKeys("order"), 2)
  })

  it("production refuses the development keys published in the repository, as its own and as a peer's", () => {
    const published = readFileSync(
      join(import.meta.dirname, "../../../../ops/k8s/overlays/dev/service-keys.yaml"),
      "utf8"
    )
    const pem = (label: string) =>
      published.match(new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----`))![0].replace(
        /\n\s+/g,
        "\n"
      )
    const dir = keysDir()
    writeFileSync(join(dir, "gateway.key"), pem("PRIVATE KEY")) // the first private key of the file: gateway's
    writeFileSync(join(dir, "order.pub"), pem("PUBLIC KEY")) // a published public key, whichever service it was
    const ring = openKeyRing({ dir, self: "gateway", production: true })
    assert.throws(() => ring.privateKey(), /published in the Shop Mesh repository/)
    assert.lengthOf(ring.publicKeys("order"), 0)
    assert.lengthOf(openKeyRing({ dir, self: "gateway", production: false }).publicKeys("order"), 1)
  })

  it("the policy names every RPC of the platform, and implies exactly the platform's five gRPC edges", () => {
    const methods = [
      ProductServiceService,
      OrderServiceService,
      OrderAdminServiceService,
      PaymentServiceService,
      PaymentAdminServiceService,
      NotificationAdminServiceService
    ].flatMap((service) => Object.values(service).map((method) => method.path.slice(1)))
    for (const method of methods) assert.property(ShopCallerPolicy, method)
    assert.deepStrictEqual(
      [...edgesOf(ShopCallerPolicy)].toSorted(),
      ["gateway->notification", "gateway->order", "gateway->product", "order->payment", "order->product"]
    )
  })
})

describe("GrpcClient without an identity in context", () => {
  it.live("sends no authorization metadata (fake backends in tests need none)", () =>
    Effect.gen(function*() {
      const { address } = yield* startServer(echoCaller)
      const client = yield* GrpcClient.make({ address, service: "product" })
      assert.strictEqual(yield* getProduct(client), "nobody")
    }).pipe(Effect.scoped, Effect.provide(Layer.empty)))
})
