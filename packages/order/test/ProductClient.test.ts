import { assert, describe, it } from "@effect/vitest"
import type { OrderId, ProductId } from "@shop/domain"
import * as GrpcServer from "@shop/service-defaults/grpc/GrpcServer"
import { Context, Duration, Effect, Exit, Layer, Option } from "effect"
import { CircuitBreaker } from "effect/persistence"
import { ProductClient } from "../src/clients/ProductClient.ts"
import { OrderConfig } from "../src/OrderConfig.ts"
import { FakeProductService, FakeProductState } from "./fixtures/FakeProduct.ts"
import { fastSaga } from "./fixtures/Harness.ts"

/** A ProductClient against the fake product service on loopback gRPC, with its reservations made. */
const clientOf = (state: FakeProductState, options: { readonly batches: boolean }) =>
  Effect.gen(function*() {
    const server = yield* Layer.build(
      GrpcServer.layer(FakeProductService(state, options), {
        host: "127.0.0.1",
        port: 0,
        shutdownTimeout: Duration.seconds(1)
      })
    )
    const port = Context.get(server, GrpcServer.GrpcServer).port
    const client = yield* Layer.build(
      ProductClient.layer.pipe(
        Layer.provide(OrderConfig.layerWith({ ...fastSaga, productAddress: `127.0.0.1:${port}` }))
      )
    )
    return Context.get(client, ProductClient)
  })

/** `count` orders holding two units each of one product (of 1,000). */
const reserved = (state: FakeProductState, count: number): ReadonlyArray<OrderId> => {
  state.add("prod_p1", 1_000, 1_000)
  return Array.from({ length: count }, (_, i) => {
    const orderId = `ord_commit_${i}` as OrderId
    state.reservations.set(orderId, {
      status: "pending",
      items: [{ productId: "prod_p1", quantity: 2, unitPriceCents: 1_000, name: "Product prod_p1" }],
      expiresAt: Date.now() + 60_000
    })
    state.products.get("prod_p1")!.reserved += 2
    return orderId
  })
}

const outcomeOf = (exit: Exit.Exit<void, { readonly _tag: string }>) =>
  Exit.isSuccess(exit) ? "committed" : Option.match(Exit.findErrorOption(exit), {
    onNone: () => "defect",
    onSome: (error) => `${error._tag}${"detail" in error ? `: ${error.detail}` : ""}`
  })

describe("ProductClient commits", () => {
  it.live("of sagas that end together share calls, and each order gets its own answer", () =>
    Effect.scoped(Effect.gen(function*() {
      const state = new FakeProductState()
      const products = yield* clientOf(state, { batches: true })
      const orders = reserved(state, 40)
      state.reservations.get(orders[7]!)!.status = "released"
      state.reservations.get(orders[21]!)!.status = "expired"
      const unknown = "ord_commit_unknown" as OrderId
      const exits = yield* Effect.forEach([...orders, unknown], (orderId) => Effect.exit(products.commit(orderId)), {
        concurrency: "unbounded"
      })
      const outcomes = exits.map(outcomeOf)
      assert.strictEqual(outcomes[7], "ReservationGone: reservation released")
      assert.strictEqual(outcomes[21], "ReservationGone: reservation expired")
      assert.strictEqual(outcomes[40], "ReservationGone: no reservation was made for the order")
      assert.deepStrictEqual(
        outcomes.filter((_, i) => i !== 7 && i !== 21 && i !== 40),
        Array.from({ length: 38 }, () => "committed")
      )
      // 41 commits at once: the first two go alone, the rest wait and share the next calls.
      assert.strictEqual(state.batchCommittedOrders, 41)
      assert.isAtMost(state.batchCommitCalls, 5)
      assert.strictEqual(state.commitCalls, 0)
      assert.strictEqual(state.products.get("prod_p1")!.inventory, 1_000 - 38 * 2)
    })).pipe(Effect.provide(CircuitBreaker.layerStoreMemory())))

  it.live("fall back to one call per order against a product service without CommitReservations", () =>
    Effect.scoped(Effect.gen(function*() {
      const state = new FakeProductState()
      const products = yield* clientOf(state, { batches: false })
      const orders = reserved(state, 10)
      state.reservations.get(orders[3]!)!.status = "released"
      const exits = yield* Effect.forEach(orders, (orderId) => Effect.exit(products.commit(orderId)), {
        concurrency: "unbounded"
      })
      assert.deepStrictEqual(
        exits.map(outcomeOf),
        orders.map((_, i) => i === 3 ? "ReservationGone: reservation released" : "committed")
      )
      assert.strictEqual(state.batchCommitCalls, 0)
      assert.strictEqual(state.commitCalls, 10)
      assert.strictEqual(state.products.get("prod_p1")!.inventory, 1_000 - 9 * 2)
    })).pipe(Effect.provide(CircuitBreaker.layerStoreMemory())))
})

describe("ProductClient reservations", () => {
  const placeAll = (products: ProductClient["Service"], count: number) =>
    Effect.forEach(
      Array.from({ length: count }, (_, i) => `ord_reserve_${i}` as OrderId),
      (orderId, i) =>
        Effect.exit(
          products.reserve(orderId, [{ productId: (i === 5 ? "prod_unknown" : "prod_p1") as ProductId, quantity: 3 }])
        ),
      { concurrency: "unbounded" }
    )

  for (const batches of [true, false]) {
    it.live(
      batches
        ? "of orders placed together share calls, and each order gets its own answer"
        : "fall back to one call per order against a product service without ReserveInventories",
      () =>
        Effect.scoped(Effect.gen(function*() {
          const state = new FakeProductState()
          const products = yield* clientOf(state, { batches: batches })
          state.add("prod_p1", 1_000, 90)
          // Held before with other items: the order's reservation cannot be made again.
          state.reservations.set("ord_reserve_9", { status: "released", items: [], expiresAt: 0 })
          const exits = yield* placeAll(products, 40)
          const tags = exits.map((exit) =>
            Exit.isSuccess(exit) ? `held ${exit.value.lines.map((line) => line.quantity).join(",")}` : outcomeOf(exit)
          )
          assert.strictEqual(tags[5], "InsufficientStock")
          assert.strictEqual(tags[9], "ReservationGone: reservation released")
          // 90 units, 3 per order: 30 of the other 38 orders are held, 8 are short.
          const held = tags.filter((tag) => tag === "held 3").length
          assert.strictEqual(held, 30)
          assert.strictEqual(tags.filter((tag) => tag === "InsufficientStock").length, 9)
          assert.strictEqual(state.products.get("prod_p1")!.reserved, 90)
          assert.strictEqual(state.reserveCalls, 40)
          if (batches) assert.isAtMost(state.batchReserveCalls, 5)
          else assert.strictEqual(state.batchReserveCalls, 0)
        })).pipe(Effect.provide(CircuitBreaker.layerStoreMemory()))
    )
  }
})
