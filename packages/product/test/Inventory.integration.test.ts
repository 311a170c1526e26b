import { assert, describe, layer } from "@effect/vitest"
import { Duration, Effect, Exit, Option, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import { Inventory } from "../src/Inventory.ts"
import { unfoldedUnits } from "../src/StockFold.ts"
import { makeProduct, newOrderId, ProductTest, stockOf } from "./fixtures/ProductTest.ts"

/**
 * Per product: reserved (its unfolded sales applied) equals the sum of its pending reservation items, no column is
 * negative, and every unfolded sale belongs to a committed reservation's line.
 */
const assertConservation = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const broken = yield* sql<{ readonly id: string }>`
    SELECT p.id FROM (SELECT *, ${unfoldedUnits(sql, "products")} AS u FROM products) p
    LEFT JOIN (
      SELECT i.product_id, sum(i.quantity)::int AS held FROM reservation_items i
      JOIN reservations r ON r.order_id = i.order_id AND r.status = 'reserved' GROUP BY i.product_id
    ) h ON h.product_id = p.id
    WHERE p.reserved - p.u <> coalesce(h.held, 0) OR p.reserved - p.u < 0 OR p.on_hand < p.reserved OR p.sold < 0`
    .pipe(Effect.orDie)
  assert.deepStrictEqual(broken, [])
  const strays = yield* sql<{ readonly order_id: string }>`
    SELECT u.order_id FROM unfolded_sales u
    LEFT JOIN reservation_items i ON i.order_id = u.order_id AND i.product_id = u.product_id
    LEFT JOIN reservations r ON r.order_id = u.order_id
    WHERE i.quantity IS DISTINCT FROM u.quantity OR r.status IS DISTINCT FROM 'committed'`.pipe(Effect.orDie)
  assert.deepStrictEqual(strays, [])
})

describe("Inventory", () => {
  layer(ProductTest("inventory", { reservationTtl: Duration.minutes(5), sweepInterval: Duration.millis(100) }), {
    excludeTestServices: true
  })((it) => {
    it.effect("never oversells: 200 concurrent reservations of one unit on a stock of 50", () =>
      Effect.gen(function*() {
        const inventory = yield* Inventory
        const product = yield* makeProduct({ inventory: 50 })
        const results = yield* Effect.forEach(
          Array.from({ length: 200 }, (_, i) => newOrderId(`race_${i}`)),
          (orderId) => Effect.exit(inventory.reserve(orderId, [{ productId: product.id, quantity: 1 }])),
          { concurrency: "unbounded" }
        )
        const succeeded = results.filter(Exit.isSuccess)
        const failures = results.flatMap((exit) => Exit.isFailure(exit) ? [exit] : [])
        assert.strictEqual(succeeded.length, 50)
        assert.strictEqual(failures.length, 150)
        for (const failure of failures) {
          const error = Exit.findErrorOption(failure)
          assert.isTrue(Option.isSome(error) && error.value._tag === "InsufficientStock", String(failure))
        }
        const stock = yield* stockOf(product.id)
        assert.deepStrictEqual(stock, { on_hand: 50, reserved: 50, sold: 0 })
        yield* assertConservation
      }))

    it.effect("reservations racing releases of the same stock: each unit held at most once, none lost (5 rounds)", () =>
      Effect.gen(function*() {
        const inventory = yield* Inventory
        for (let round = 0; round < 5; round++) {
          const product = yield* makeProduct({ inventory: 20 })
          const first = Array.from({ length: 20 }, (_, i) => newOrderId(`held_${round}_${i}`))
          yield* Effect.forEach(
            first,
            (orderId) => inventory.reserve(orderId, [{ productId: product.id, quantity: 1 }])
          )
          // 40 new orders want the 20 units while the first 20 give them back: a reservation that finds the stock
          // short may find it given back once it holds the product's lock, and then reserves.
          const late = yield* Effect.all([
            Effect.forEach(first, (orderId) => inventory.release(orderId), { concurrency: "unbounded" }),
            Effect.forEach(
              Array.from({ length: 40 }, (_, i) => newOrderId(`late_${round}_${i}`)),
              (orderId) => Effect.exit(inventory.reserve(orderId, [{ productId: product.id, quantity: 1 }])),
              { concurrency: "unbounded" }
            )
          ], { concurrency: "unbounded" }).pipe(Effect.map(([, results]) => results))
          const held = late.filter(Exit.isSuccess).length
          for (const failure of late.filter(Exit.isFailure)) {
            const error = Exit.findErrorOption(failure)
            assert.isTrue(Option.isSome(error) && error.value._tag === "InsufficientStock", String(failure))
          }
          assert.isAtMost(held, 20)
          assert.deepStrictEqual(yield* stockOf(product.id), { on_hand: 20, reserved: held, sold: 0 })
        }
        yield* assertConservation
      }))

    it.effect("reserves all items or none: a short second item leaves the first untouched", () =>
      Effect.gen(function*() {
        const inventory = yield* Inventory
        const plenty = yield* makeProduct({ inventory: 10 })
        const scarce = yield* makeProduct({ inventory: 1 })
        const error = yield* Effect.flip(inventory.reserve(newOrderId("all"), [
          { productId: plenty.id, quantity: 3 },
          { productId: scarce.id, quantity: 2 }
        ]))
        assert.strictEqual(error._tag, "InsufficientStock")
        if (error._tag === "InsufficientStock") {
          assert.deepStrictEqual([error.productId, error.requested, error.available], [scarce.id, 2, 1])
        }
        assert.strictEqual((yield* stockOf(plenty.id)).reserved, 0)
        assert.strictEqual((yield* stockOf(scarce.id)).reserved, 0)
        const missing = yield* Effect.flip(inventory.reserve(newOrderId("missing"), [
          { productId: plenty.id, quantity: 1 },
          { productId: "prod_doesnotexist", quantity: 1 }
        ]))
        assert.strictEqual(missing._tag, "NotFound")
        assert.strictEqual((yield* stockOf(plenty.id)).reserved, 0)
        yield* assertConservation
      }))

    it.effect("two orders taking the same two products in opposite orders never deadlock", () =>
      Effect.gen(function*() {
        const inventory = yield* Inventory
        const a = yield* makeProduct({ inventory: 1000 })
        const b = yield* makeProduct({ inventory: 1000 })
        const orders = Array.from({ length: 60 }, (_, i) => ({
          orderId: newOrderId(`cross_${i}`),
          items: i % 2 === 0
            ? [{ productId: a.id, quantity: 1 }, { productId: b.id, quantity: 2 }]
            : [{ productId: b.id, quantity: 2 }, { productId: a.id, quantity: 1 }]
        }))
        yield* Effect.forEach(orders, ({ items, orderId }) => inventory.reserve(orderId, items), {
          concurrency: "unbounded"
        })
        yield* Effect.forEach(
          orders,
          ({ orderId }, i) =>
            i % 3 === 0 ? Effect.asVoid(inventory.release(orderId)) : Effect.asVoid(inventory.commit(orderId)),
          { concurrency: "unbounded" }
        )
        const committed = orders.filter((_, i) => i % 3 !== 0).length
        assert.deepStrictEqual(yield* stockOf(a.id), { on_hand: 1000 - committed, reserved: 0, sold: committed })
        assert.deepStrictEqual(yield* stockOf(b.id), {
          on_hand: 1000 - 2 * committed,
          reserved: 0,
          sold: 2 * committed
        })
        yield* assertConservation
      }))

    it.effect("reserve, commit and release are idempotent per order id", () =>
      Effect.gen(function*() {
        const inventory = yield* Inventory
        const product = yield* makeProduct({ inventory: 5, priceCents: 2999, name: "Priced Item" })
        const orderId = newOrderId("idem")
        const items = [{ productId: product.id, quantity: 2 }]
        const first = yield* inventory.reserve(orderId, items)
        assert.isFalse(first.replayed)
        assert.strictEqual(first.reservation.status, "pending")
        assert.deepStrictEqual(first.reservation.items, [{
          productId: product.id,
          quantity: 2,
          unitPriceCents: 2999,
          currency: "USD",
          name: "Priced Item"
        }])
        const again = yield* inventory.reserve(orderId, items)
        assert.isTrue(again.replayed)
        // The first answer is built from what its statements wrote; the replay reads the rows back: the same.
        assert.deepStrictEqual(again.reservation, first.reservation)
        assert.strictEqual((yield* stockOf(product.id)).reserved, 2)
        const other = yield* Effect.flip(inventory.reserve(orderId, [{ productId: product.id, quantity: 3 }]))
        assert.strictEqual(other._tag, "Conflict")

        const committed = yield* inventory.commit(orderId)
        assert.deepStrictEqual([committed.replayed, committed.reservation.status], [false, "committed"])
        assert.isTrue(Option.isSome(committed.reservation.resolvedAt))
        assert.deepStrictEqual(committed.reservation.items, first.reservation.items)
        const recommitted = yield* inventory.commit(orderId)
        assert.deepStrictEqual([recommitted.replayed, recommitted.reservation.status], [true, "committed"])
        assert.deepStrictEqual(recommitted.reservation, committed.reservation)
        assert.deepStrictEqual(yield* stockOf(product.id), { on_hand: 3, reserved: 0, sold: 2 })
        assert.isTrue((yield* inventory.reserve(orderId, items)).replayed)
        assert.strictEqual((yield* Effect.flip(inventory.release(orderId)))._tag, "Conflict")

        const releasedId = newOrderId("rel")
        yield* inventory.reserve(releasedId, [{ productId: product.id, quantity: 1 }])
        const released = yield* inventory.release(releasedId, "payment_declined")
        assert.deepStrictEqual([released.found, released.replayed], [true, false])
        const rereleased = yield* inventory.release(releasedId)
        assert.deepStrictEqual([rereleased.found, rereleased.replayed], [true, true])
        assert.deepStrictEqual(yield* stockOf(product.id), { on_hand: 3, reserved: 0, sold: 2 })
        const late = yield* Effect.flip(inventory.commit(releasedId))
        assert.strictEqual(late._tag, "Conflict")
        assert.include(late.message, "released")
        assert.strictEqual(
          (yield* Effect.flip(inventory.reserve(releasedId, [{ productId: product.id, quantity: 1 }])))._tag,
          "Conflict"
        )
        assert.strictEqual((yield* Effect.flip(inventory.commit(newOrderId("never"))))._tag, "NotFound")
        yield* assertConservation
      }))

    it.effect("20 commits of one reservation at once: one sale, the others replays (10 rounds)", () =>
      Effect.gen(function*() {
        const inventory = yield* Inventory
        // One round rarely makes the statements overlap on the reservation's row; ten did, every time tried.
        for (let round = 0; round < 10; round++) {
          const product = yield* makeProduct({ inventory: 7 })
          const orderId = newOrderId(`race${round}`)
          yield* inventory.reserve(orderId, [{ productId: product.id, quantity: 3 }])
          const outcomes = yield* Effect.all(Array.from({ length: 20 }, () => inventory.commit(orderId)), {
            concurrency: "unbounded"
          })
          assert.strictEqual(outcomes.filter((outcome) => !outcome.replayed).length, 1)
          assert.isTrue(outcomes.every((outcome) => outcome.reservation.status === "committed"))
          assert.deepStrictEqual(yield* stockOf(product.id), { on_hand: 4, reserved: 0, sold: 3 })
        }
        yield* assertConservation
      }))

    it.effect("releasing an order that never reserved succeeds and blocks a late reservation", () =>
      Effect.gen(function*() {
        const inventory = yield* Inventory
        const product = yield* makeProduct({ inventory: 5 })
        const orderId = newOrderId("ghost")
        const released = yield* inventory.release(orderId, "saga_timeout")
        assert.deepStrictEqual([released.found, released.replayed, Option.isNone(released.reservation)], [
          false,
          false,
          true
        ])
        assert.isFalse((yield* inventory.release(orderId)).found)
        const late = yield* Effect.flip(inventory.reserve(orderId, [{ productId: product.id, quantity: 1 }]))
        assert.strictEqual(late._tag, "Conflict")
        assert.strictEqual((yield* stockOf(product.id)).reserved, 0)
      }))

    it.effect("the sweeper expires overdue reservations; committing one then fails with a Conflict", () =>
      Effect.gen(function*() {
        const inventory = yield* Inventory
        const product = yield* makeProduct({ inventory: 4 })
        const orderId = newOrderId("exp")
        const kept = newOrderId("kept")
        yield* inventory.reserve(orderId, [{ productId: product.id, quantity: 3 }], Duration.millis(300))
        yield* inventory.reserve(kept, [{ productId: product.id, quantity: 1 }])
        assert.strictEqual((yield* stockOf(product.id)).reserved, 4)
        // the sweeper runs every 100 ms in this layer; wait until it has released the short-lived reservation
        yield* Effect.repeat(stockOf(product.id), {
          until: (stock) => stock.reserved === 1,
          schedule: Schedule.spaced("50 millis")
        }).pipe(Effect.timeout("20 seconds"))
        const error = yield* Effect.flip(inventory.commit(orderId))
        assert.strictEqual(error._tag, "Conflict")
        assert.include(error.message, "reservation expired")
        assert.strictEqual((yield* inventory.release(orderId)).replayed, true)
        assert.strictEqual((yield* inventory.commit(kept)).reservation.status, "committed")
        assert.deepStrictEqual(yield* stockOf(product.id), { on_hand: 3, reserved: 0, sold: 1 })
        yield* assertConservation
      }))

    it.effect("checks availability without reserving", () =>
      Effect.gen(function*() {
        const inventory = yield* Inventory
        const product = yield* makeProduct({ inventory: 7 })
        yield* inventory.reserve(newOrderId("check"), [{ productId: product.id, quantity: 5 }])
        const [level] = yield* inventory.checkInventory([{ productId: product.id, quantity: 3 }])
        assert.deepStrictEqual(level, {
          productId: product.id,
          requested: 3,
          inventory: 7,
          reserved: 5,
          available: 2,
          sufficient: false
        })
        assert.strictEqual((yield* stockOf(product.id)).reserved, 5)
        const invalid = yield* Effect.flip(
          inventory.reserve(newOrderId("bad"), [{ productId: product.id, quantity: 0 }])
        )
        assert.strictEqual(invalid._tag, "ValidationError")
      }))
  })
})

describe("Inventory without a timely sweeper", () => {
  layer(ProductTest("inventory_deadline", { sweepInterval: Duration.hours(1) }), { excludeTestServices: true })(
    (it) => {
      it.effect("a commit after the hold time expires the reservation itself and fails", () =>
        Effect.gen(function*() {
          const inventory = yield* Inventory
          const product = yield* makeProduct({ inventory: 3 })
          const orderId = newOrderId("late")
          yield* inventory.reserve(orderId, [{ productId: product.id, quantity: 2 }], Duration.millis(1))
          yield* Effect.sleep("50 millis")
          const error = yield* Effect.flip(inventory.commit(orderId))
          assert.strictEqual(error._tag, "Conflict")
          assert.include(error.message, "reservation expired")
          assert.deepStrictEqual(yield* stockOf(product.id), { on_hand: 3, reserved: 0, sold: 0 })
          assert.strictEqual((yield* Effect.flip(inventory.commit(orderId)))._tag, "Conflict")
          yield* assertConservation
        }))
    }
  )
})
