import { Conflict, InsufficientStock, maxOrdersPerStockCall, NotFound, ValidationError } from "@shop/domain"
import { makeKeyedBatches } from "@shop/service-defaults/KeyedBatches"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, Duration, Effect, Layer, Metric, Option, Result } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import { CacheVersions } from "./CacheVersions.ts"
import { ProductConfig } from "./ProductConfig.ts"
import {
  type CommitFinding,
  commitReservations,
  loadReservation,
  lockProducts,
  readAvailable,
  type Reservation,
  type ReservationRequest,
  reserveMany,
  sameItems,
  settleReservation,
  type StockItem
} from "./Reservation.ts"
import { unfoldedUnits } from "./StockFold.ts"
import { StockFolder } from "./StockFolder.ts"
import { validateItems, validateOrderId, validateTtl } from "./StockInput.ts"

/** Stock of one product against a requested quantity. */
export interface InventoryLevel {
  readonly productId: string
  readonly requested: number
  readonly inventory: number
  readonly reserved: number
  readonly available: number
  readonly sufficient: boolean
}

/** The outcome of an idempotent call: `replayed` when it found the work already done and changed nothing. */
export interface Outcome {
  readonly reservation: Reservation
  readonly replayed: boolean
}

/** The outcome of a release; `found` is false when no reservation was ever made for the order. */
export interface ReleaseOutcome {
  readonly reservation: Option.Option<Reservation>
  readonly found: boolean
  readonly replayed: boolean
}

const notFound = (id: string) => new NotFound({ entity: "product", id })

export const reservationBatchSize = Metric.histogram("stock_reservation_batch_size", {
  description: "Reservations made by one statement: the orders of one set of products that queued behind each other",
  boundaries: [1, 2, 4, 8, 16, 32, 64, 128]
})

export const commitBatchSize = Metric.histogram("stock_commit_batch_size", {
  description: "Reservations committed by one statement: the commits that came while the statements before ran",
  boundaries: [1, 2, 4, 8, 16, 32, 64, 128]
})

/** The most reservations one statement makes, or commits. */
const maxBatch = 100

/** The reservation is over: committing it or reserving again fails, with the status in the message. */
const ended = (reservation: Reservation) =>
  new Conflict({ detail: `reservation ${reservation.status}: order ${reservation.orderId}` })

/**
 * Stock reservations, one per order id, never overselling: every change of what is available runs in one
 * transaction that locks the products in id order, moves stock with guarded UPDATEs, and is backed by the table's
 * CHECK constraints. A commit changes nothing available: it records the sale without the products' locks, and the
 * folder moves it into their rows later (see StockFold.ts); reads count it at once.
 *
 * Idempotency, keyed by order id:
 * - `reserve` again with the same items returns the existing reservation (replayed) while it is pending or
 *   committed; with different items, or once it was released or expired, it is a `Conflict`;
 * - `commit` again succeeds (replayed); committing a released or expired reservation is a `Conflict` (the saga
 *   must then refund), an unknown order is `NotFound`. The hold time is a deadline: a reservation committed after
 *   `expiresAt` is expired on the spot (its stock returned) even when the sweeper has not reached it yet;
 * - `release` again succeeds (replayed); releasing an unknown order succeeds with `found: false` and leaves a
 *   tombstone, so that a late `reserve` for that order cannot hold stock afterwards; a committed one is a `Conflict`.
 */
export class Inventory extends Context.Service<Inventory, {
  readonly reserve: (
    orderId: string,
    items: ReadonlyArray<StockItem>,
    ttl?: Duration.Duration
  ) => Effect.Effect<Outcome, ValidationError | NotFound | Conflict | InsufficientStock>
  readonly commit: (orderId: string) => Effect.Effect<Outcome, ValidationError | NotFound | Conflict>
  /**
   * Commits the reservations of several orders in one statement (at most 100 distinct order ids), each order
   * answered on its own as `commit` would answer it; a malformed order id or too many of them fail the call.
   */
  readonly commitAll: (
    orderIds: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyArray<Result.Result<Outcome, NotFound | Conflict>>, ValidationError>
  readonly release: (orderId: string, reason?: string) => Effect.Effect<ReleaseOutcome, ValidationError | Conflict>
  readonly checkInventory: (
    items: ReadonlyArray<StockItem>
  ) => Effect.Effect<ReadonlyArray<InventoryLevel>, ValidationError | NotFound>
  /** Expires up to `limit` overdue reservations (skipping rows another replica holds); returns their order ids. */
  readonly expireDue: (limit: number) => Effect.Effect<ReadonlyArray<string>>
}>()("product/Inventory") {
  static readonly layer = Layer.effect(
    Inventory,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const versions = yield* CacheVersions
      const config = yield* ProductConfig
      const folder = yield* StockFolder
      const stockChanged = (productIds: ReadonlyArray<string>) => versions.bump({ productIds, catalog: false })

      const replay = (existing: Reservation, items: ReadonlyArray<StockItem>) => {
        if (existing.status === "released" || existing.status === "expired") return Effect.fail(ended(existing))
        return sameItems(existing.items, items)
          ? Effect.succeed<Outcome>({ reservation: existing, replayed: true })
          : Effect.fail(
            new Conflict({ detail: `order ${existing.orderId} already holds a reservation with other items` })
          )
      }

      // The order's new reservation, or the replay of the one it has.
      const outcomeOf = (orderId: string, items: ReadonlyArray<StockItem>, inserted: Option.Option<Reservation>) =>
        Option.isSome(inserted)
          ? Effect.succeed<Outcome>({ reservation: inserted.value, replayed: false })
          : Effect.flatMap(loadReservation(sql, orderId), (existing) => replay(Option.getOrThrow(existing), items))
      const reserveOnce = (orderId: string, items: ReadonlyArray<StockItem>, ttl: Duration.Duration) =>
        Effect.flatMap(
          reserveMany(sql, [{ orderId, items, ttl }]),
          ([inserted]) => outcomeOf(orderId, items, inserted!)
        )

      // Reservations of the same products that come while two run would wait for their row locks: they are made
      // together by the next statement (KeyedBatches), which locks each row once for them all (with little load,
      // every batch is one order). A batch that fails on stock fails for every order in it; each then goes the way
      // of a short reservation, where only its own items count.
      const batches = yield* makeKeyedBatches<ReservationRequest, Option.Option<Reservation>, SqlError.SqlError>({
        maxBatch,
        inFlight: 2,
        conflicts: (a, b) => a.orderId === b.orderId,
        run: (requests) =>
          Effect.andThen(Metric.update(reservationBatchSize, requests.length), reserveMany(sql, requests))
      })
      const reserveBatched = (orderId: string, items: ReadonlyArray<StockItem>, ttl: Duration.Duration) =>
        Effect.flatMap(
          batches(items.map((item) => item.productId).join(","), { orderId, items, ttl }),
          (inserted) => outcomeOf(orderId, items, inserted)
        )

      // After a short or unknown item failed the statement (nothing was written): with the products locked in id
      // order, the first such item and what is left of it; none any more (stock given back meanwhile), the
      // reservation is made under those locks.
      const reserveShort = (orderId: string, items: ReadonlyArray<StockItem>, ttl: Duration.Duration) =>
        Effect.gen(function*() {
          const ids = items.map((item) => item.productId)
          yield* lockProducts(sql, ids)
          const rows = new Map((yield* readAvailable(sql, ids)).map((row) => [row.id, row.available]))
          for (const item of items) {
            const available = rows.get(item.productId)
            if (available === undefined) return yield* notFound(item.productId)
            if (available < item.quantity) {
              return yield* new InsufficientStock({ productId: item.productId, requested: item.quantity, available })
            }
          }
          return yield* reserveOnce(orderId, items, ttl)
        }).pipe(sql.withTransaction)

      const reserve = traced("Inventory.reserve")(
        function*(orderId: string, items: ReadonlyArray<StockItem>, ttl?: Duration.Duration) {
          yield* Effect.annotateCurrentSpan({ "order.id": orderId })
          yield* validateOrderId(orderId)
          const sorted = yield* validateItems(items)
          const hold = yield* validateTtl(ttl ?? config.reservationTtl, config.reservationMaxTtl)
          const outcome = yield* reserveBatched(orderId, sorted, hold).pipe(
            Effect.catchReason("SqlError", "ConstraintError", () => reserveShort(orderId, sorted, hold)),
            Effect.catchTag("SqlError", Effect.die)
          )
          if (!outcome.replayed) yield* stockChanged(sorted.map((item) => item.productId))
          return outcome
        }
      )

      // Commits go through batches as reservations do, all under one key: the commits that come while two
      // statements run are made by the next one. They wait on no popular row (a commit takes no product's lock), but
      // each costs the database a round trip, a commit and its WAL flush: under load, one statement for several
      // orders is most of what a commit costs, and with little load every batch is one order, sent at once.
      const commitBatches = yield* makeKeyedBatches<string, Option.Option<CommitFinding>, SqlError.SqlError>({
        maxBatch,
        inFlight: 2,
        conflicts: (a, b) => a === b,
        run: (orderIds) =>
          Effect.andThen(Metric.update(commitBatchSize, orderIds.length), commitReservations(sql, orderIds))
      })

      /**
       * What a commit of the order came to: sold now, sold before (replayed), or refused. A reservation past its hold
       * time was expired by the statement itself, even if the sweeper is late: settled now, and refused.
       */
      const commitOutcome = (
        orderId: string,
        found: Option.Option<CommitFinding>
      ): Result.Result<Outcome, NotFound | Conflict> => {
        if (Option.isNone(found)) return Result.fail(new NotFound({ entity: "reservation", id: orderId }))
        const { reservation, settled } = found.value
        if (reservation.status === "committed") return Result.succeed({ reservation, replayed: !settled })
        return Result.fail(ended(reservation))
      }

      /** After commits that settled reservations: the folder is woken for the sales, and the cache moves on. */
      const afterCommits = (settled: ReadonlyArray<Reservation>) =>
        Effect.gen(function*() {
          if (settled.length === 0) return
          if (settled.some((reservation) => reservation.status === "committed")) yield* folder.signal
          yield* stockChanged([...new Set(settled.flatMap((r) => r.items.map((item) => item.productId)))])
        })

      const commit = traced("Inventory.commit")(function*(orderId: string) {
        yield* Effect.annotateCurrentSpan({ "order.id": orderId })
        yield* validateOrderId(orderId)
        const found = yield* commitBatches("commits", orderId).pipe(Effect.catchTag("SqlError", Effect.die))
        if (Option.isSome(found) && found.value.settled) yield* afterCommits([found.value.reservation])
        const outcome = commitOutcome(orderId, found)
        return Result.isFailure(outcome) ? yield* outcome.failure : outcome.success
      })

      const commitAll = traced("Inventory.commitAll")(function*(orderIds: ReadonlyArray<string>) {
        if (orderIds.length > maxOrdersPerStockCall) {
          return yield* new ValidationError({
            field: "order_ids",
            detail: `at most ${maxOrdersPerStockCall} order ids at once`
          })
        }
        yield* Effect.forEach(orderIds, validateOrderId, { discard: true })
        const distinct = [...new Set(orderIds)]
        yield* Metric.update(commitBatchSize, distinct.length)
        const findings = yield* commitReservations(sql, distinct).pipe(Effect.catchTag("SqlError", Effect.die))
        const byOrder = new Map(distinct.map((orderId, i) => [orderId, findings[i]!]))
        yield* afterCommits(
          findings.flatMap((found) => Option.isSome(found) && found.value.settled ? [found.value.reservation] : [])
        )
        return orderIds.map((orderId) => commitOutcome(orderId, byOrder.get(orderId)!))
      })

      const releaseTx = (orderId: string, reason: string | null) =>
        Effect.gen(function*() {
          let found = yield* loadReservation(sql, orderId, true)
          if (Option.isNone(found)) {
            const tombstone = yield* sql`
            INSERT INTO reservations (order_id, status, expires_at, resolved_at, release_reason)
            VALUES (${orderId}, 'released', now(), now(), ${reason})
            ON CONFLICT (order_id) DO NOTHING RETURNING order_id`
            if (tombstone.length === 1) return { reservation: Option.none(), found: false, replayed: false }
            found = yield* loadReservation(sql, orderId, true) // a concurrent reserve won the insert
          }
          const existing = Option.getOrThrow(found)
          if (existing.items.length === 0) return { reservation: Option.none(), found: false, replayed: true }
          if (existing.status === "committed") return yield* ended(existing)
          if (existing.status !== "pending") return { reservation: found, found: true, replayed: true }
          return {
            reservation: Option.some(yield* settleReservation(sql, existing, "released", reason)),
            found: true,
            replayed: false
          }
        })

      const release = traced("Inventory.release")(function*(orderId: string, reason?: string) {
        yield* Effect.annotateCurrentSpan({ "order.id": orderId })
        yield* validateOrderId(orderId)
        const outcome: ReleaseOutcome = yield* releaseTx(orderId, reason?.slice(0, 200) || null).pipe(
          sql.withTransaction,
          Effect.catchTag("SqlError", Effect.die)
        )
        if (!outcome.replayed && Option.isSome(outcome.reservation)) {
          yield* stockChanged(outcome.reservation.value.items.map((item) => item.productId))
        }
        return outcome
      })

      const checkInventory = traced("Inventory.checkInventory")(function*(items: ReadonlyArray<StockItem>) {
        yield* validateItems(items)
        const rows = yield* sql<{ readonly id: string; readonly on_hand: number; readonly reserved: number }>`
        SELECT id, on_hand - unfolded AS on_hand, reserved - unfolded AS reserved
        FROM (SELECT p.id, p.on_hand, p.reserved, ${unfoldedUnits(sql, "p")} AS unfolded FROM products p
          WHERE p.id = ANY(${items.map((item) => item.productId)})) s`.pipe(Effect.orDie)
        const byId = new Map(rows.map((row) => [row.id, row]))
        return yield* Effect.forEach(items, (item) => {
          const row = byId.get(item.productId)
          if (row === undefined) return Effect.fail(notFound(item.productId))
          const available = row.on_hand - row.reserved
          return Effect.succeed<InventoryLevel>({
            productId: item.productId,
            requested: item.quantity,
            inventory: row.on_hand,
            reserved: row.reserved,
            available,
            sufficient: available >= item.quantity
          })
        })
      })

      const expireDue = traced("Inventory.expireDue")(function*(limit: number) {
        const { orderIds, productIds } = yield* Effect.gen(function*() {
          const due = yield* sql<{ readonly order_id: string }>`
          SELECT order_id FROM reservations WHERE status = 'reserved' AND expires_at <= now()
          ORDER BY expires_at LIMIT ${limit} FOR UPDATE SKIP LOCKED`
          const expired = due.map((row) => row.order_id)
          if (expired.length === 0) return { orderIds: expired, productIds: [] }
          const totals = yield* sql<{ readonly product_id: string; readonly quantity: number }>`
          SELECT product_id, sum(quantity)::int AS quantity FROM reservation_items
          WHERE order_id = ANY(${expired}) GROUP BY product_id`
          const touched = totals.map((row) => row.product_id)
          yield* lockProducts(sql, touched)
          yield* sql`
          UPDATE products p SET reserved = p.reserved - v.quantity
          FROM unnest(${touched}::text[], ${totals.map((row) => row.quantity)}::int[]) AS v(id, quantity)
          WHERE p.id = v.id`
          yield* sql`
          UPDATE reservations SET status = 'expired', resolved_at = now(), updated_at = now()
          WHERE order_id = ANY(${expired})`
          return { orderIds: expired, productIds: touched }
        }).pipe(sql.withTransaction, Effect.orDie)
        if (productIds.length > 0) yield* stockChanged(productIds)
        return orderIds
      })

      return Inventory.of({ reserve, commit, commitAll, release, checkInventory, expireDue })
    })
  )
}
