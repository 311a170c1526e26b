import { assert, describe, layer } from "@effect/vitest"
import { CommitResult, ProductServiceService, ReserveResult } from "@shop/proto/product/v1/product"
import * as GrpcClient from "@shop/service-defaults/grpc/GrpcClient"
import * as GrpcServer from "@shop/service-defaults/grpc/GrpcServer"
import { Effect, Layer } from "effect"
import { ProductGrpcServer } from "../../src/grpc/ProductGrpcServer.ts"
import { ProductTest, unique } from "../fixtures/ProductTest.ts"

const ServerLive = GrpcServer.layer(ProductGrpcServer, { host: "127.0.0.1", port: 0 }).pipe(
  Layer.provideMerge(ProductTest("product_grpc"))
)

/** A client of the server under test, as the order service and the gateway make theirs. */
const client = Effect.gen(function*() {
  const server = yield* GrpcServer.GrpcServer
  return yield* GrpcClient.make({ address: `127.0.0.1:${server.port}`, service: "product", deadline: "5 seconds" })
})

describe("ProductGrpcServer", () => {
  layer(ServerLive, { excludeTestServices: true })((it) => {
    it.effect("creates, reads and finds a product over gRPC, with exact cents and availability", () =>
      Effect.gen(function*() {
        const grpc = yield* client
        const sku = unique("MOUSE")
        const created = yield* grpc.unary(ProductServiceService.createProduct, {
          name: "Wireless Mouse",
          description: "Ergonomic wireless mouse with 3200 DPI",
          priceCents: 2999,
          currency: "",
          sku,
          category: "Electronics",
          inventory: 100
        })
        const id = created.product!.id
        assert.match(id, /^prod_/)
        const { product } = yield* grpc.unary(ProductServiceService.getProduct, { id })
        assert.strictEqual(product?.priceCents, 2999)
        assert.strictEqual(product?.currency, "USD")
        assert.strictEqual(product?.available, 100)

        const found = yield* grpc.unary(ProductServiceService.searchProducts, {
          q: "mose",
          category: "Electronics",
          minPriceCents: 2000,
          maxPriceCents: 5000,
          page: 0,
          limit: 10,
          sort: "PRODUCT_SORT_UNSPECIFIED"
        })
        assert.isTrue(found.products.some((p) => p.id === id))
        assert.isFalse(found.relaxed)
        const relaxed = yield* grpc.unary(ProductServiceService.searchProducts, {
          q: `mouse ${sku}-nowhere`,
          category: "Electronics",
          page: 0,
          limit: 10,
          sort: "PRODUCT_SORT_UNSPECIFIED"
        })
        assert.isTrue(relaxed.relaxed)
        assert.isTrue(relaxed.products.some((p) => p.id === id))
      }))

    it.effect("reserves, commits and releases by order id; shortages and duplicates come back as typed errors", () =>
      Effect.gen(function*() {
        const grpc = yield* client
        const { product } = yield* grpc.unary(ProductServiceService.createProduct, {
          name: "Desk Lamp",
          description: "",
          priceCents: 1500,
          currency: "USD",
          sku: unique("LAMP"),
          category: "Home",
          inventory: 3
        })
        const productId = product!.id
        const reserve = (orderId: string, quantity: number) =>
          grpc.unary(ProductServiceService.reserveInventory, {
            orderId,
            items: [{ productId, quantity }],
            ttlSeconds: 0
          })
        const first = yield* reserve("ord_grpc_a", 2)
        assert.strictEqual(first.reservation?.status, "RESERVATION_STATUS_PENDING")
        assert.strictEqual(first.reservation?.items[0]?.unitPriceCents, 1500)
        assert.isTrue((yield* reserve("ord_grpc_a", 2)).replayed)

        const short = yield* Effect.flip(reserve("ord_grpc_b", 2))
        assert.strictEqual(short._tag, "InsufficientStock")

        const committed = yield* grpc.unary(ProductServiceService.commitReservation, { orderId: "ord_grpc_a" })
        assert.strictEqual(committed.reservation?.status, "RESERVATION_STATUS_COMMITTED")
        const released = yield* grpc.unary(ProductServiceService.releaseReservation, {
          orderId: "ord_grpc_never",
          reason: "compensation"
        })
        assert.isFalse(released.found)

        const after = yield* grpc.unary(ProductServiceService.getProduct, { id: productId })
        assert.deepStrictEqual([after.product?.inventory, after.product?.reserved], [1, 0])

        const duplicate = yield* Effect.flip(grpc.unary(ProductServiceService.createProduct, {
          name: "Desk Lamp",
          description: "",
          priceCents: 1500,
          currency: "USD",
          sku: product!.sku.toLowerCase(),
          category: "Home",
          inventory: 1
        }))
        assert.strictEqual(duplicate._tag, "Conflict")
        const missing = yield* Effect.flip(grpc.unary(ProductServiceService.getProduct, { id: "prod_missing" }))
        assert.strictEqual(missing._tag, "NotFound")
      }))

    it.effect("commits several orders in one call, each answered on its own", () =>
      Effect.gen(function*() {
        const grpc = yield* client
        const created = yield* grpc.unary(ProductServiceService.createProduct, {
          name: "Keyboard",
          description: "",
          priceCents: 4000,
          currency: "USD",
          sku: unique("KEYS"),
          category: "Electronics",
          inventory: 10
        })
        const productId = created.product!.id
        const orders = ["ord_grpc_batch_1", "ord_grpc_batch_2", "ord_grpc_batch_3"]
        for (const orderId of orders) {
          yield* grpc.unary(ProductServiceService.reserveInventory, {
            orderId,
            items: [{ productId, quantity: 2 }],
            ttlSeconds: 0
          })
        }
        yield* grpc.unary(ProductServiceService.releaseReservation, { orderId: orders[1]!, reason: "test" })
        const { outcomes } = yield* grpc.unary(ProductServiceService.commitReservations, {
          orderIds: [orders[0]!, orders[1]!, "ord_grpc_batch_none", orders[2]!, orders[0]!]
        })
        assert.deepStrictEqual(outcomes.map((outcome) => [outcome.orderId, outcome.result, outcome.replayed]), [
          [orders[0], CommitResult.COMMITTED, false],
          [orders[1], CommitResult.ENDED, false],
          ["ord_grpc_batch_none", CommitResult.NOT_FOUND, false],
          [orders[2], CommitResult.COMMITTED, false],
          [orders[0], CommitResult.COMMITTED, false]
        ])
        assert.strictEqual(outcomes[0]!.reservation?.status, "RESERVATION_STATUS_COMMITTED")
        assert.include(outcomes[1]!.detail, "released")
        const again = yield* grpc.unary(ProductServiceService.commitReservations, { orderIds: [orders[2]!] })
        assert.isTrue(again.outcomes[0]!.replayed)
        const after = yield* grpc.unary(ProductServiceService.getProduct, { id: productId })
        assert.deepStrictEqual([after.product?.inventory, after.product?.reserved], [6, 0])

        // A malformed order id, or more than a statement takes, fails the call as a whole.
        const malformed = yield* Effect.flip(
          grpc.unary(ProductServiceService.commitReservations, { orderIds: [orders[0]!, "not an order id"] })
        )
        assert.strictEqual(malformed._tag, "ValidationError")
        const tooMany = yield* Effect.flip(grpc.unary(ProductServiceService.commitReservations, {
          orderIds: Array.from({ length: 101 }, (_, i) => `ord_grpc_many_${i}`)
        }))
        assert.strictEqual(tooMany._tag, "ValidationError")
      }))

    it.effect("reserves for several orders in one call, each answered on its own", () =>
      Effect.gen(function*() {
        const grpc = yield* client
        const created = yield* grpc.unary(ProductServiceService.createProduct, {
          name: "Monitor",
          description: "",
          priceCents: 20000,
          currency: "USD",
          sku: unique("SCREEN"),
          category: "Electronics",
          inventory: 5
        })
        const productId = created.product!.id
        const ask = (orderId: string, quantity: number, product = productId) => ({
          orderId,
          items: [{ productId: product, quantity }],
          ttlSeconds: 0
        })
        yield* grpc.unary(ProductServiceService.releaseReservation, { orderId: "ord_grpc_res_gone", reason: "test" })
        const { outcomes } = yield* grpc.unary(ProductServiceService.reserveInventories, {
          reservations: [
            ask("ord_grpc_res_1", 2),
            ask("ord_grpc_res_2", 9),
            ask("ord_grpc_res_3", 1, "prod_missing"),
            ask("not an order id", 1),
            ask("ord_grpc_res_gone", 1),
            ask("ord_grpc_res_4", 3)
          ]
        })
        assert.deepStrictEqual(outcomes.map((outcome) => [outcome.orderId, outcome.result]), [
          ["ord_grpc_res_1", ReserveResult.RESERVED],
          ["ord_grpc_res_2", ReserveResult.INSUFFICIENT_STOCK],
          ["ord_grpc_res_3", ReserveResult.NOT_FOUND],
          ["not an order id", ReserveResult.INVALID],
          ["ord_grpc_res_gone", ReserveResult.CONFLICT],
          ["ord_grpc_res_4", ReserveResult.RESERVED]
        ])
        assert.deepStrictEqual([outcomes[1]!.productId, outcomes[1]!.requested], [productId, 9])
        assert.include([0, 2, 3, 5], outcomes[1]!.available) // what was left when it was tried
        assert.strictEqual(outcomes[2]!.productId, "prod_missing")
        assert.strictEqual(outcomes[0]!.reservation?.items[0]?.unitPriceCents, 20000)
        const replay = yield* grpc.unary(ProductServiceService.reserveInventories, {
          reservations: [ask("ord_grpc_res_1", 2)]
        })
        assert.isTrue(replay.outcomes[0]!.replayed)
        const after = yield* grpc.unary(ProductServiceService.getProduct, { id: productId })
        assert.deepStrictEqual([after.product?.inventory, after.product?.reserved], [5, 5])

        const tooMany = yield* Effect.flip(grpc.unary(ProductServiceService.reserveInventories, {
          reservations: Array.from({ length: 101 }, (_, i) => ask(`ord_grpc_res_many_${i}`, 1))
        }))
        assert.strictEqual(tooMany._tag, "ValidationError")
      }))
  })
})
