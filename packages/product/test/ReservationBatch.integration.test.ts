import { assert, describe, layer } from "@effect/vitest"
import { DateTime, Duration, Effect, Exit, Metric, Option } from "effect"
import { Inventory, reservationBatchSize } from "../src/Inventory.ts"
import { makeProduct, newOrderId, ProductTest, stockOf } from "./fixtures/ProductTest.ts"

/** Reservations made by statements of more than one order since `before` (a reading of the batch size histogram). */
const batchedSince = (before: { readonly count: number; readonly sum: number }) =>
  Effect.map(Metric.value(reservationBatchSize), (now) => (now.sum - before.sum) - (now.count - before.count))

const errorTag = (exit: Exit.Exit<unknown, { readonly _tag: string }>) =>
  Option.match(Exit.findErrorOption(exit), { onNone: () => "none", onSome: (error) => error._tag })

describe("Reservations of one product at once", () => {
  layer(ProductTest("reservation_batch"), { excludeTestServices: true })((it) => {
    it.effect("share statements, and hold exactly what each order asked for", () =>
      Effect.gen(function*() {
        const inventory = yield* Inventory
        const product = yield* makeProduct({ inventory: 100 })
        const before = yield* Metric.value(reservationBatchSize)
        const outcomes = yield* Effect.forEach(
          Array.from({ length: 30 }, (_, i) => i),
          (i) => inventory.reserve(newOrderId(`batch_${i}`), [{ productId: product.id, quantity: 1 + (i % 3) }]),
          { concurrency: "unbounded" }
        )
        assert.isAbove(yield* batchedSince(before), 0, "no statement reserved for more than one order")
        for (const [i, outcome] of outcomes.entries()) {
          assert.isFalse(outcome.replayed)
          assert.deepStrictEqual(outcome.reservation.items.map((item) => [item.productId, item.quantity]), [[
            product.id,
            1 + (i % 3)
          ]])
          assert.strictEqual(outcome.reservation.items[0]!.unitPriceCents, 1000)
        }
        assert.deepStrictEqual(yield* stockOf(product.id), { on_hand: 100, reserved: 60, sold: 0 })
      }))

    it.effect("an order short on its own fails alone; the orders batched with it are reserved", () =>
      Effect.gen(function*() {
        const inventory = yield* Inventory
        const product = yield* makeProduct({ inventory: 10 })
        const exits = yield* Effect.forEach(
          Array.from({ length: 12 }, (_, i) => i),
          (i) =>
            Effect.exit(
              inventory.reserve(newOrderId(`short_${i}`), [{ productId: product.id, quantity: i === 5 ? 20 : 1 }])
            ),
          { concurrency: "unbounded" }
        )
        // 11 orders of one unit on a stock of 10: one of them is short too, whichever came last.
        assert.strictEqual(errorTag(exits[5]!), "InsufficientStock")
        const small = exits.filter((_, i) => i !== 5)
        assert.strictEqual(small.filter(Exit.isSuccess).length, 10)
        assert.deepStrictEqual(small.filter(Exit.isFailure).map(errorTag), ["InsufficientStock"])
        assert.deepStrictEqual(yield* stockOf(product.id), { on_hand: 10, reserved: 10, sold: 0 })
      }))

    it.effect("the same order asked twice at once is reserved once; with other items, it is a conflict", () =>
      Effect.gen(function*() {
        const inventory = yield* Inventory
        const product = yield* makeProduct({ inventory: 50 })
        const orders = Array.from({ length: 8 }, (_, i) => newOrderId(`twice_${i}`))
        const outcomes = yield* Effect.forEach(
          [...orders, ...orders],
          (orderId) => inventory.reserve(orderId, [{ productId: product.id, quantity: 2 }]),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(outcomes.filter((outcome) => !outcome.replayed).length, 8)
        assert.strictEqual(outcomes.filter((outcome) => outcome.replayed).length, 8)
        assert.deepStrictEqual(yield* stockOf(product.id), { on_hand: 50, reserved: 16, sold: 0 })

        const orderId = newOrderId("other_items")
        const exits = yield* Effect.forEach(
          [1, 3],
          (quantity) => Effect.exit(inventory.reserve(orderId, [{ productId: product.id, quantity }])),
          { concurrency: "unbounded" }
        )
        assert.deepStrictEqual(exits.map((exit) => Exit.isSuccess(exit) ? "ok" : errorTag(exit)).toSorted(), [
          "Conflict",
          "ok"
        ])
        // Whichever came first holds its quantity: 1 or 3 units on top of the 16.
        assert.strictEqual((yield* stockOf(product.id)).reserved, Exit.isSuccess(exits[0]!) ? 17 : 19)
      }))

    it.effect("each order of a batch keeps its own hold time", () =>
      Effect.gen(function*() {
        const inventory = yield* Inventory
        const product = yield* makeProduct({ inventory: 50 })
        const ttls = Array.from({ length: 10 }, (_, i) => Duration.minutes(1 + i))
        const outcomes = yield* Effect.forEach(
          ttls,
          (ttl, i) => inventory.reserve(newOrderId(`ttl_${i}`), [{ productId: product.id, quantity: 1 }], ttl),
          { concurrency: "unbounded" }
        )
        for (const [i, outcome] of outcomes.entries()) {
          const held = DateTime.toEpochMillis(outcome.reservation.expiresAt) -
            DateTime.toEpochMillis(outcome.reservation.createdAt)
          assert.approximately(held, Duration.toMillis(ttls[i]!), 1_000)
        }
      }))
  })
})
