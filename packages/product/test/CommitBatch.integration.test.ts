import { assert, describe, layer } from "@effect/vitest"
import { Duration, Effect, Exit, Metric, Option } from "effect"
import { SqlClient } from "effect/sql"
import { commitBatchSize, Inventory } from "../src/Inventory.ts"
import { commitReservations } from "../src/Reservation.ts"
import { makeProduct, newOrderId, ProductTest, stockOf } from "./fixtures/ProductTest.ts"

/** Reservations committed by statements of more than one order since `before` (a reading of the histogram). */
const batchedSince = (before: { readonly count: number; readonly sum: number }) =>
  Effect.map(Metric.value(commitBatchSize), (now) => (now.sum - before.sum) - (now.count - before.count))

const errorTag = (exit: Exit.Exit<unknown, { readonly _tag: string }>) =>
  Exit.isSuccess(exit) ? "ok" : Option.match(Exit.findErrorOption(exit), {
    onNone: () => "defect",
    onSome: (error) => error._tag
  })

describe("Commits of many orders at once", () => {
  // No sweeper within the tests: an overdue reservation is expired by the commit that finds it.
  layer(ProductTest("commit_batch", { sweepInterval: Duration.hours(1) }), { excludeTestServices: true })((it) => {
    it.effect("share statements, and each order's units are sold once", () =>
      Effect.gen(function*() {
        const inventory = yield* Inventory
        const product = yield* makeProduct({ inventory: 100 })
        const orders = Array.from({ length: 30 }, (_, i) => ({ id: newOrderId(`commit_${i}`), quantity: 1 + (i % 3) }))
        for (const order of orders) {
          yield* inventory.reserve(order.id, [{ productId: product.id, quantity: order.quantity }])
        }
        const before = yield* Metric.value(commitBatchSize)
        const outcomes = yield* Effect.forEach(orders, (order) => inventory.commit(order.id), {
          concurrency: "unbounded"
        })
        assert.isAbove(yield* batchedSince(before), 0, "no statement committed more than one order")
        for (const [i, outcome] of outcomes.entries()) {
          assert.isFalse(outcome.replayed)
          assert.strictEqual(outcome.reservation.orderId, orders[i]!.id)
          assert.strictEqual(outcome.reservation.status, "committed")
          assert.deepStrictEqual(outcome.reservation.items.map((item) => [item.productId, item.quantity]), [[
            product.id,
            orders[i]!.quantity
          ]])
        }
        // 30 orders of 1, 2 or 3 units: 60 sold, none held any more.
        assert.deepStrictEqual(yield* stockOf(product.id), { on_hand: 40, reserved: 0, sold: 60 })
      }))

    it.effect("the same order committed twice at once is sold once; the other call is its replay", () =>
      Effect.gen(function*() {
        const inventory = yield* Inventory
        const product = yield* makeProduct({ inventory: 50 })
        const orders = Array.from({ length: 8 }, (_, i) => newOrderId(`twice_${i}`))
        for (const orderId of orders) yield* inventory.reserve(orderId, [{ productId: product.id, quantity: 2 }])
        const outcomes = yield* Effect.forEach([...orders, ...orders], (orderId) => inventory.commit(orderId), {
          concurrency: "unbounded"
        })
        assert.strictEqual(outcomes.filter((outcome) => !outcome.replayed).length, 8)
        assert.strictEqual(outcomes.filter((outcome) => outcome.replayed).length, 8)
        assert.deepStrictEqual(yield* stockOf(product.id), { on_hand: 34, reserved: 0, sold: 16 })
      }))

    it.effect("orders of every kind in one batch each get their own answer", () =>
      Effect.gen(function*() {
        const inventory = yield* Inventory
        const product = yield* makeProduct({ inventory: 20 })
        const other = yield* makeProduct({ inventory: 20 })
        const pending = newOrderId("pending")
        const late = [newOrderId("late_a"), newOrderId("late_b")]
        const sold = newOrderId("sold")
        const released = newOrderId("released")
        const unknown = newOrderId("unknown")
        yield* inventory.reserve(pending, [{ productId: product.id, quantity: 1 }, {
          productId: other.id,
          quantity: 2
        }])
        // Two overdue orders of the same product: its reserved units go back by the sum of both.
        for (const orderId of late) {
          yield* inventory.reserve(orderId, [{ productId: product.id, quantity: 3 }], Duration.millis(1))
        }
        yield* inventory.reserve(sold, [{ productId: other.id, quantity: 4 }])
        yield* inventory.commit(sold)
        yield* inventory.reserve(released, [{ productId: product.id, quantity: 5 }])
        yield* inventory.release(released, "test")
        yield* Effect.sleep("50 millis")

        const sql = yield* SqlClient.SqlClient
        const ids = [unknown, released, late[1]!, sold, pending, late[0]!]
        const findings = yield* commitReservations(sql, ids)
        const summary = findings.map((finding) =>
          Option.match(finding, {
            onNone: () => "none",
            onSome: ({ reservation, settled }) => `${reservation.status}${settled ? " now" : ""}`
          })
        )
        assert.deepStrictEqual(summary, [
          "none",
          "released",
          "expired now",
          "committed",
          "committed now",
          "expired now"
        ])
        const items = findings.map((finding) =>
          Option.match(finding, {
            onNone: () => [],
            onSome: ({ reservation }) => reservation.items.map((item) => `${item.productId}:${item.quantity}`)
          })
        )
        assert.deepStrictEqual(items, [
          [],
          [`${product.id}:5`],
          [`${product.id}:3`],
          [`${other.id}:4`],
          [
            product.id < other.id ? `${product.id}:1` : `${other.id}:2`,
            product.id < other.id ? `${other.id}:2` : `${product.id}:1`
          ],
          [`${product.id}:3`]
        ])
        assert.deepStrictEqual(yield* stockOf(product.id), { on_hand: 19, reserved: 0, sold: 1 })
        assert.deepStrictEqual(yield* stockOf(other.id), { on_hand: 14, reserved: 0, sold: 6 })

        // Through the service, each answer is the one a commit of that order alone gives.
        const exits = yield* Effect.forEach(ids, (orderId) => Effect.exit(inventory.commit(orderId)), {
          concurrency: "unbounded"
        })
        assert.deepStrictEqual(exits.map(errorTag), ["NotFound", "Conflict", "Conflict", "ok", "ok", "Conflict"])
      }))
  })
})
