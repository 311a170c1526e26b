import { assert, describe, layer } from "@effect/vitest"
import { eventually } from "@shop/service-defaults/testing/Eventually"
import { Duration, Effect, Fiber, Layer, Metric, Option } from "effect"
import { SqlClient } from "effect/sql"
import { Catalog } from "../src/Catalog.ts"
import { Inventory } from "../src/Inventory.ts"
import { commitReservation } from "../src/Reservation.ts"
import { foldSales } from "../src/StockFold.ts"
import { foldFailures, salesFolded, StockFolder } from "../src/StockFolder.ts"
import { makeProduct, newOrderId, ProductTest, stockOf, storedStockOf } from "./fixtures/ProductTest.ts"

/** Reserves `quantity` of the product for a new order and commits it; the order id. */
const sell = (productId: string, label: string, quantity = 1) =>
  Effect.gen(function*() {
    const inventory = yield* Inventory
    const orderId = newOrderId(label)
    yield* inventory.reserve(orderId, [{ productId, quantity }])
    yield* inventory.commit(orderId)
    return orderId
  }).pipe(Effect.orDie)

/** Holds the product's row locked as a reservation in flight does, for `hold`, in a transaction of its own. */
const holdRow = (productId: string, hold: Duration.Input) =>
  SqlClient.SqlClient.use((sql) =>
    Effect.andThen(
      sql`SELECT id FROM products WHERE id = ${productId} FOR NO KEY UPDATE`,
      Effect.sleep(hold)
    ).pipe(sql.withTransaction)
  ).pipe(Effect.orDie)

describe("StockFold", () => {
  // A folder that never folds on its own: a signal makes it wait an hour, and it polls every hour.
  layer(ProductTest("stock_fold_held", { foldDelay: Duration.hours(1), foldPoll: Duration.hours(1) }), {
    excludeTestServices: true
  })((it) => {
    it.effect("a commit neither waits for nor touches the product's row, and every read counts its sale at once", () =>
      Effect.gen(function*() {
        const inventory = yield* Inventory
        const catalog = yield* Catalog
        const product = yield* makeProduct({ inventory: 10 })
        const orderId = newOrderId("unheld")
        yield* inventory.reserve(orderId, [{ productId: product.id, quantity: 2 }])
        // Another order holds the row for 3 s; the commit must not queue behind it.
        const holder = yield* Effect.forkChild(holdRow(product.id, "3 seconds"))
        yield* Effect.sleep("100 millis")
        const committed = yield* inventory.commit(orderId).pipe(Effect.timeoutOption("1 second"))
        assert.isTrue(Option.isSome(committed), "the commit waited for the product's row")
        yield* Fiber.interrupt(holder)

        assert.deepStrictEqual(yield* storedStockOf(product.id), { on_hand: 10, reserved: 2, sold: 0, unfolded: 2 })
        assert.deepStrictEqual(yield* stockOf(product.id), { on_hand: 8, reserved: 0, sold: 2 })
        const read = yield* catalog.get(product.id)
        assert.deepStrictEqual([read.inventory, read.reserved], [8, 0])
        const [level] = yield* inventory.checkInventory([{ productId: product.id, quantity: 8 }])
        assert.deepStrictEqual(
          [level!.inventory, level!.reserved, level!.available, level!.sufficient],
          [8, 0, 8, true]
        )
        const [listed] = yield* catalog.getMany([product.id])
        assert.strictEqual(listed!.inventory, 8)
      }))

    it.effect("an inventory set while sales are unfolded is what every read shows, and the fold keeps it", () =>
      Effect.gen(function*() {
        const catalog = yield* Catalog
        const sql = yield* SqlClient.SqlClient
        const product = yield* makeProduct({ inventory: 10 })
        yield* sell(product.id, "set_a", 2)
        yield* sell(product.id, "set_b", 1)
        const updated = yield* catalog.update(product.id, { inventory: 40 })
        assert.deepStrictEqual([updated.inventory, updated.reserved], [40, 0])
        assert.deepStrictEqual(yield* stockOf(product.id), { on_hand: 40, reserved: 0, sold: 3 })
        yield* foldSales(sql, 1000)
        assert.deepStrictEqual(yield* storedStockOf(product.id), { on_hand: 40, reserved: 0, sold: 3, unfolded: 0 })
        assert.strictEqual((yield* catalog.get(product.id)).inventory, 40)
      }))

    it.effect("an inventory set while a fold holds the row waits for it and counts each unit once", () =>
      Effect.gen(function*() {
        const catalog = yield* Catalog
        const sql = yield* SqlClient.SqlClient
        const product = yield* makeProduct({ inventory: 10 })
        yield* sell(product.id, "race_a", 2)
        yield* sell(product.id, "race_b", 1)
        // The fold moves the three units into the row and keeps its transaction open for half a second; the update
        // starts meanwhile, waits for the row, and must then read the sales as folded.
        const fold = yield* Effect.forkChild(
          Effect.andThen(foldSales(sql, 1000), Effect.sleep("500 millis")).pipe(sql.withTransaction, Effect.orDie)
        )
        yield* Effect.sleep("100 millis")
        const updated = yield* catalog.update(product.id, { inventory: 50 })
        yield* Fiber.join(fold)
        assert.deepStrictEqual([updated.inventory, updated.reserved], [50, 0])
        assert.deepStrictEqual(yield* stockOf(product.id), { on_hand: 50, reserved: 0, sold: 3 })
        assert.deepStrictEqual(yield* storedStockOf(product.id), { on_hand: 50, reserved: 0, sold: 3, unfolded: 0 })
      }))

    it.effect("an inventory below the units reserved is refused, counting only pending reservations", () =>
      Effect.gen(function*() {
        const catalog = yield* Catalog
        const inventory = yield* Inventory
        const product = yield* makeProduct({ inventory: 10 })
        yield* sell(product.id, "below_sold", 4)
        yield* inventory.reserve(newOrderId("below_held"), [{ productId: product.id, quantity: 3 }])
        const refused = yield* Effect.flip(catalog.update(product.id, { inventory: 2 }))
        assert.isTrue(
          refused._tag === "Conflict" && refused.detail.includes("below the 3 units reserved"),
          `${refused}`
        )
        assert.strictEqual((yield* catalog.update(product.id, { inventory: 3 })).inventory, 3)
        assert.deepStrictEqual(yield* stockOf(product.id), { on_hand: 3, reserved: 3, sold: 4 })
      }))

    it.effect("a folder that starts folds at once what a process killed after its commits left", () =>
      Effect.gen(function*() {
        const product = yield* makeProduct({ inventory: 10 })
        yield* sell(product.id, "left_a", 2)
        yield* sell(product.id, "left_b", 3)
        assert.strictEqual((yield* storedStockOf(product.id)).unfolded, 5)
        // A second folder, as the restarted process's, that would otherwise not look for an hour.
        yield* Layer.build(Layer.fresh(StockFolder.layer))
        yield* eventually(storedStockOf(product.id), (stock) => stock.unfolded === 0, "10 seconds")
        assert.deepStrictEqual(yield* storedStockOf(product.id), { on_hand: 5, reserved: 0, sold: 5, unfolded: 0 })
      }).pipe(Effect.scoped))

    it.effect("concurrent folds (replicas) fold every sale once", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const products = yield* Effect.forEach(Array.from({ length: 4 }), () => makeProduct({ inventory: 500 }))
        yield* Effect.forEach(
          Array.from({ length: 120 }, (_, i) => i),
          (i) => sell(products[i % 4]!.id, `replicas_${i}`, 1 + (i % 3)),
          { concurrency: 8 }
        )
        // Four folders, 7 sales per statement, each until it finds nothing left.
        yield* Effect.forEach(Array.from({ length: 4 }), () =>
          Effect.gen(function*() {
            while ((yield* foldSales(sql, 7)) > 0) {
              // next batch
            }
          }), { concurrency: "unbounded" })
        for (const [k, product] of products.entries()) {
          const units = Array.from({ length: 30 }, (_, j) => 1 + ((4 * j + k) % 3)).reduce((a, b) => a + b, 0)
          assert.deepStrictEqual(
            yield* storedStockOf(product.id),
            { on_hand: 500 - units, reserved: 0, sold: units, unfolded: 0 }
          )
        }
      }))
  })

  layer(ProductTest("stock_fold_live", { foldDelay: Duration.millis(20), foldPoll: Duration.millis(300) }), {
    excludeTestServices: true
  })((it) => {
    it.effect("the folder folds what commits signal, and by its poll a sale nobody signalled (its process died)", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const inventory = yield* Inventory
        const product = yield* makeProduct({ inventory: 100 })
        const foldedBefore = (yield* Metric.value(salesFolded)).count
        yield* Effect.forEach(Array.from({ length: 20 }, (_, i) => i), (i) => sell(product.id, `live_${i}`), {
          concurrency: 5
        })
        assert.deepStrictEqual(yield* stockOf(product.id), { on_hand: 80, reserved: 0, sold: 20 })
        yield* eventually(storedStockOf(product.id), (stock) => stock.unfolded === 0, "10 seconds")
        assert.deepStrictEqual(yield* storedStockOf(product.id), { on_hand: 80, reserved: 0, sold: 20, unfolded: 0 })
        assert.strictEqual((yield* Metric.value(salesFolded)).count - foldedBefore, 20)

        // Committed by the statement alone, as a process that died before signalling left it.
        const orderId = newOrderId("unsignalled")
        yield* inventory.reserve(orderId, [{ productId: product.id, quantity: 5 }])
        yield* commitReservation(sql, orderId).pipe(Effect.orDie)
        assert.deepStrictEqual(yield* stockOf(product.id), { on_hand: 75, reserved: 0, sold: 25 })
        yield* eventually(storedStockOf(product.id), (stock) => stock.unfolded === 0, "10 seconds")
        assert.deepStrictEqual(yield* storedStockOf(product.id), { on_hand: 75, reserved: 0, sold: 25, unfolded: 0 })
      }))

    it.effect("a round that fails loses no sale: the next one folds it", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const inventory = yield* Inventory
        const product = yield* makeProduct({ inventory: 10 })
        const orderId = newOrderId("fold_fails")
        yield* inventory.reserve(orderId, [{ productId: product.id, quantity: 4 }])
        const failuresBefore = (yield* Metric.value(foldFailures)).count
        // The table out of the folder's reach (as a database that refuses its statements) for a few polls, the sale
        // committed just before; then back.
        yield* Effect.acquireUseRelease(
          commitReservation(sql, orderId).pipe(
            Effect.andThen(sql`ALTER TABLE unfolded_sales RENAME TO unfolded_sales_away`),
            Effect.orDie
          ),
          () => eventually(Metric.value(foldFailures), (state) => state.count > failuresBefore, "10 seconds"),
          () => sql`ALTER TABLE unfolded_sales_away RENAME TO unfolded_sales`.pipe(Effect.orDie)
        )
        assert.deepStrictEqual(yield* stockOf(product.id), { on_hand: 6, reserved: 0, sold: 4 })
        yield* eventually(storedStockOf(product.id), (stock) => stock.unfolded === 0, "10 seconds")
        assert.deepStrictEqual(yield* storedStockOf(product.id), { on_hand: 6, reserved: 0, sold: 4, unfolded: 0 })
      }))
  })
})
