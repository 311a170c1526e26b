import { DateTime, Duration, Effect, Option } from "effect"
import type { SqlClient, SqlError, Statement } from "effect/sql"

/** `pending` holds stock until `expiresAt`; the others are final. */
export type ReservationStatus = "pending" | "committed" | "released" | "expired"

/** A quantity of one product, as requested. */
export interface StockItem {
  readonly productId: string
  readonly quantity: number
}

/** A reserved line, with the name and unit price the product had when it was reserved. */
export interface ReservedItem extends StockItem {
  readonly unitPriceCents: number
  readonly currency: string
  readonly name: string
}

/** The stock held for one order; there is at most one per order id. */
export interface Reservation {
  readonly orderId: string
  readonly status: ReservationStatus
  readonly items: ReadonlyArray<ReservedItem>
  readonly createdAt: DateTime.Utc
  readonly expiresAt: DateTime.Utc
  /** When it was committed, released or expired. */
  readonly resolvedAt: Option.Option<DateTime.Utc>
}

export interface ReservationRow {
  readonly order_id: string
  readonly status: "reserved" | "committed" | "released" | "expired"
  readonly created_at: Date
  readonly expires_at: Date
  readonly resolved_at: Date | null
}

interface ItemRow {
  readonly product_id: string
  readonly quantity: number
  readonly unit_price_cents: bigint | number
  readonly currency: string
  readonly name: string
}

const reservationColumns = "order_id, status, created_at, expires_at, resolved_at"

const itemOf = (item: ItemRow): ReservedItem => ({
  productId: item.product_id,
  quantity: item.quantity,
  unitPriceCents: Number(item.unit_price_cents),
  currency: item.currency.trim(),
  name: item.name
})

/** A reservation from its row and its lines (in product id order). */
const reservationOf = (row: ReservationRow, items: ReadonlyArray<ReservedItem>): Reservation => ({
  orderId: row.order_id,
  status: row.status === "reserved" ? "pending" : row.status,
  items,
  createdAt: DateTime.fromDateUnsafe(row.created_at),
  expiresAt: DateTime.fromDateUnsafe(row.expires_at),
  resolvedAt: Option.map(Option.fromNullishOr(row.resolved_at), DateTime.fromDateUnsafe)
})

/** Reads the reservation of an order (locking it with `forUpdate`), or none. */
export const loadReservation = (sql: SqlClient.SqlClient, orderId: string, forUpdate = false) =>
  Effect.gen(function*() {
    const [row] = yield* sql<ReservationRow>`
      SELECT ${sql.literal(reservationColumns)} FROM reservations
      WHERE order_id = ${orderId} ${sql.literal(forUpdate ? "FOR UPDATE" : "")}`
    if (row === undefined) return Option.none<Reservation>()
    const items = yield* sql<ItemRow>`
      SELECT product_id, quantity, unit_price_cents, currency, name FROM reservation_items
      WHERE order_id = ${orderId} ORDER BY product_id`
    return Option.some(reservationOf(row, items.map(itemOf)))
  })

/**
 * The lock every change of several products' stock takes first: the rows of the products `productIds` selects (a
 * subquery), in id order, so two transactions can never hold each other's rows: no deadlock, whatever order the
 * items came in. `FOR NO KEY UPDATE`, the lock an UPDATE of the stock takes anyway: it does not conflict with the
 * `FOR KEY SHARE` that inserting reservation lines takes on their products (the foreign key); with `FOR UPDATE`,
 * transactions that had inserted lines before locking deadlocked on each other's share locks.
 */
const lockInIdOrder = (sql: SqlClient.SqlClient, productIds: Statement.Fragment) =>
  sql`SELECT id FROM products WHERE id IN (${productIds}) ORDER BY id FOR NO KEY UPDATE`

/** Takes the lock (see {@link lockInIdOrder}) on the rows of `productIds`, as a statement of its own. */
export const lockProducts = (sql: SqlClient.SqlClient, productIds: ReadonlyArray<string>) =>
  sql<{ readonly id: string }>`${lockInIdOrder(sql, sql`SELECT unnest(${productIds}::text[])`)}`

/**
 * The same lock, as the first step of a statement that then changes the locked rows (`locked` is its CTE): taking
 * the lock and moving the stock in one statement keeps a popular product's row locked for one round trip and the
 * COMMIT, not for every statement of the transaction. The CTE returns the rows in id order, and the change reaches
 * a row only through it, so the locks are taken in id order as with `lockProducts`.
 */
export const lockedCte = (sql: SqlClient.SqlClient, productIds: Statement.Fragment) =>
  sql`locked AS MATERIALIZED (${lockInIdOrder(sql, productIds)})`

/**
 * What is available of `productIds`: to tell a missing product from one that is short. Unfolded sales (StockFold.ts)
 * count in both stock columns, so the difference is exact without them.
 */
export const readAvailable = (sql: SqlClient.SqlClient, productIds: ReadonlyArray<string>) =>
  sql<{ readonly id: string; readonly available: number }>`
    SELECT id, on_hand - reserved AS available FROM products WHERE id = ANY(${productIds})`

/** One order's request in {@link reserveMany}: its items in product id order, held for `ttl`. */
export interface ReservationRequest {
  readonly orderId: string
  readonly items: ReadonlyArray<StockItem>
  readonly ttl: Duration.Duration
}

/**
 * New reservations of one or more orders (distinct order ids) in one statement and no transaction around it: every
 * order without a reservation gets one, their products are locked once in id order and their reserved stock raised
 * by the sum of the orders' quantities, and each order's lines are recorded with the locked rows' names and prices.
 * A popular product's row stays locked for that one round trip. Per request, in order: the new reservation, or none
 * when the order had one already (nothing is written for it). There is no guard on the stock: a product without
 * enough of it breaks the CHECK `reserved <= on_hand`, and an unknown one leaves its line without a price (NOT NULL);
 * either fails the statement whole (a ConstraintError) and nothing is written, for any of the orders. The caller
 * then tells which item it was, with the products locked.
 */
export const reserveMany = (sql: SqlClient.SqlClient, requests: ReadonlyArray<ReservationRequest>) =>
  Effect.gen(function*() {
    const lines = requests.flatMap((request) => request.items.map((item) => ({ request, item })))
    const requested = sql`unnest(
      ${lines.map((line) => line.request.orderId)}::text[], ${lines.map((line) => line.item.productId)}::text[],
      ${lines.map((line) => line.item.quantity)}::int[], ${
      lines.map((line) => Duration.toMillis(line.request.ttl))
    }::float8[]
    ) AS v(order_id, product_id, quantity, ttl_ms)`
    const rows = yield* sql<ReservationRow & { readonly items: ReadonlyArray<ItemRow> }>`
      WITH requested AS MATERIALIZED (SELECT * FROM ${requested}),
      inserted AS (
        INSERT INTO reservations (order_id, status, expires_at)
        SELECT DISTINCT ON (order_id) order_id, 'reserved', now() + ttl_ms * interval '1 millisecond' FROM requested
        ON CONFLICT (order_id) DO NOTHING RETURNING ${sql.literal(reservationColumns)}
      ),
      wanted AS MATERIALIZED (
        SELECT r.product_id, sum(r.quantity)::int AS quantity
        FROM requested r JOIN inserted i ON i.order_id = r.order_id GROUP BY r.product_id
      ),
      ${lockedCte(sql, sql`SELECT product_id FROM wanted`)},
      updated AS (
        UPDATE products p SET reserved = p.reserved + w.quantity
        FROM locked l, wanted w
        WHERE l.id = p.id AND p.id = w.product_id
        RETURNING p.id, p.name, p.price_cents, p.currency
      ),
      lines AS (
        INSERT INTO reservation_items (order_id, product_id, quantity, unit_price_cents, currency, name)
        SELECT r.order_id, r.product_id, r.quantity, u.price_cents, u.currency, u.name
        FROM requested r JOIN inserted i ON i.order_id = r.order_id LEFT JOIN updated u ON u.id = r.product_id
      )
      SELECT i.*, (
        SELECT coalesce(json_agg(json_build_object('product_id', u.id, 'quantity', r.quantity,
          'unit_price_cents', u.price_cents, 'currency', u.currency, 'name', u.name) ORDER BY u.id), '[]'::json)
        FROM requested r JOIN updated u ON u.id = r.product_id WHERE r.order_id = i.order_id
      ) AS items
      FROM inserted i`
    const byOrder = new Map(rows.map((row) => [row.order_id, row]))
    return requests.map((request) => {
      const row = byOrder.get(request.orderId)
      return row === undefined ? Option.none<Reservation>() : Option.some(reservationOf(row, row.items.map(itemOf)))
    })
  })

/** Gives the items of an order back to the stock (off the reserved units), its products locked in id order. */
export const releaseStock = (sql: SqlClient.SqlClient, orderId: string) =>
  sql`
    WITH ${lockedCte(sql, sql`SELECT product_id FROM reservation_items WHERE order_id = ${orderId}`)}
    UPDATE products p SET reserved = p.reserved - i.quantity
    FROM locked l, reservation_items i WHERE i.order_id = ${orderId} AND p.id = i.product_id AND l.id = p.id`

/**
 * Ends a pending reservation without a sale inside the caller's transaction: its status first, then its units go
 * back to the stock, the products locked only for that last statement. A sale is `commitReservation`'s alone.
 */
export const settleReservation = (
  sql: SqlClient.SqlClient,
  reservation: Reservation,
  status: "released" | "expired",
  reason: string | null
) =>
  Effect.gen(function*() {
    const [row] = yield* sql<ReservationRow>`
      UPDATE reservations SET status = ${status}, resolved_at = now(), updated_at = now(), release_reason = ${reason}
      WHERE order_id = ${reservation.orderId} RETURNING ${sql.literal(reservationColumns)}`
    if (row === undefined) return yield* Effect.die(`reservation of ${reservation.orderId} vanished while locked`)
    yield* releaseStock(sql, reservation.orderId)
    return reservationOf(row, reservation.items)
  })

/**
 * A commit's move of the pending reservations its `target` CTE locked (with their `overdue` flag): `committed`, or
 * `expired` when their hold time is over by the database's clock, even if the sweeper is late.
 */
const settledCte = (sql: SqlClient.SqlClient) =>
  sql`settled AS (
    UPDATE reservations r SET status = CASE WHEN t.overdue THEN 'expired' ELSE 'committed' END,
      resolved_at = now(), updated_at = now(), release_reason = NULL
    FROM target t WHERE r.order_id = t.order_id AND t.status = 'reserved'
    RETURNING r.order_id, r.status, r.created_at, r.expires_at, r.resolved_at
  )`

/** What committing found of one order's reservation: it as it is now, and whether this commit settled it. */
export interface CommitFinding {
  readonly reservation: Reservation
  readonly settled: boolean
}

/**
 * Commits the pending reservations of several orders (distinct order ids) in one statement: their rows are locked
 * first, in order id order (two such statements never hold each other's rows), then each becomes `committed` and its
 * units are recorded as unfolded sales, which reads subtract from the stock until the folder moves them into the
 * products' rows (see StockFold.ts): a commit does not touch, nor wait for, a popular product's row. One whose hold
 * time is over by the database's clock becomes `expired` instead, and its stock goes back at once (the products
 * locked in id order for that statement alone, each by the sum of the expired orders' units). A reservation that is
 * not pending is returned as it is, with `settled` false; none when the order has none. Per order id, in order.
 * Concurrent commits of one order queue on its row, and the later ones find it settled.
 */
export const commitReservations = (
  sql: SqlClient.SqlClient,
  orderIds: ReadonlyArray<string>
): Effect.Effect<ReadonlyArray<Option.Option<CommitFinding>>, SqlError.SqlError> =>
  orderIds.length === 1 ? Effect.map(commitOne(sql, orderIds[0]!), (found) => [found]) : commitMany(sql, orderIds)

const commitMany = (sql: SqlClient.SqlClient, orderIds: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const rows = yield* sql<ReservationRow & { readonly settled: boolean; readonly items: ReadonlyArray<ItemRow> }>`
      WITH target AS MATERIALIZED (
        SELECT ${sql.literal(reservationColumns)}, expires_at <= now() AS overdue
        FROM reservations WHERE order_id = ANY(${orderIds}::text[]) ORDER BY order_id FOR UPDATE
      ),
      ${settledCte(sql)},
      sales AS (
        INSERT INTO unfolded_sales (order_id, product_id, quantity)
        SELECT i.order_id, i.product_id, i.quantity
        FROM reservation_items i JOIN settled s ON s.order_id = i.order_id AND s.status = 'committed'
      ),
      given_back AS MATERIALIZED (
        SELECT i.product_id, sum(i.quantity)::int AS quantity
        FROM reservation_items i JOIN settled s ON s.order_id = i.order_id AND s.status = 'expired'
        GROUP BY i.product_id
      ),
      ${lockedCte(sql, sql`SELECT product_id FROM given_back`)},
      returned AS (
        UPDATE products p SET reserved = p.reserved - g.quantity
        FROM locked l, given_back g WHERE l.id = p.id AND p.id = g.product_id
      )
      SELECT r.*, (
        SELECT coalesce(json_agg(json_build_object('product_id', i.product_id, 'quantity', i.quantity,
          'unit_price_cents', i.unit_price_cents, 'currency', i.currency, 'name', i.name) ORDER BY i.product_id),
          '[]'::json)
        FROM reservation_items i WHERE i.order_id = r.order_id
      ) AS items
      FROM (
        SELECT ${sql.literal(reservationColumns)}, true AS settled FROM settled
        UNION ALL
        SELECT ${sql.literal(reservationColumns)}, false FROM target t
        WHERE NOT EXISTS (SELECT 1 FROM settled s WHERE s.order_id = t.order_id)
      ) r`
    const byOrder = new Map(rows.map((row) => [row.order_id, row]))
    return orderIds.map((orderId) => {
      const row = byOrder.get(orderId)
      return row === undefined
        ? Option.none<CommitFinding>()
        : Option.some<CommitFinding>({ reservation: reservationOf(row, row.items.map(itemOf)), settled: row.settled })
    })
  })

/** {@link commitReservations} of one order. */
export const commitReservation = (sql: SqlClient.SqlClient, orderId: string) =>
  Effect.map(commitReservations(sql, [orderId]), ([finding]) => finding!)

/**
 * One order's commit, as {@link commitReservations} makes it, by a statement of its own: with little load every
 * batch is one order, and PostgreSQL spends less on this statement than on the batch's with one order in it (its
 * arrays, joins and aggregate).
 */
const commitOne = (sql: SqlClient.SqlClient, orderId: string) =>
  Effect.gen(function*() {
    const [row] = yield* sql<ReservationRow & { readonly settled: boolean; readonly items: ReadonlyArray<ItemRow> }>`
      WITH target AS (
        SELECT ${sql.literal(reservationColumns)}, expires_at <= now() AS overdue
        FROM reservations WHERE order_id = ${orderId} FOR UPDATE
      ),
      ${settledCte(sql)},
      sales AS (
        INSERT INTO unfolded_sales (order_id, product_id, quantity)
        SELECT i.order_id, i.product_id, i.quantity FROM reservation_items i
        WHERE i.order_id = ${orderId} AND EXISTS (SELECT 1 FROM settled WHERE status = 'committed')
      ),
      ${
      lockedCte(
        sql,
        sql`SELECT product_id FROM reservation_items
          WHERE order_id = ${orderId} AND EXISTS (SELECT 1 FROM settled WHERE status = 'expired')`
      )
    },
      returned AS (
        UPDATE products p SET reserved = p.reserved - i.quantity
        FROM locked l, reservation_items i
        WHERE i.order_id = ${orderId} AND p.id = i.product_id AND l.id = p.id
      )
      SELECT r.*, (
        SELECT coalesce(json_agg(json_build_object('product_id', product_id, 'quantity', quantity,
          'unit_price_cents', unit_price_cents, 'currency', currency, 'name', name) ORDER BY product_id), '[]'::json)
        FROM reservation_items WHERE order_id = ${orderId}
      ) AS items
      FROM (
        SELECT ${sql.literal(reservationColumns)}, true AS settled FROM settled
        UNION ALL
        SELECT ${sql.literal(reservationColumns)}, false FROM target WHERE NOT EXISTS (SELECT 1 FROM settled)
      ) r`
    if (row === undefined) return Option.none<CommitFinding>()
    return Option.some<CommitFinding>({ reservation: reservationOf(row, row.items.map(itemOf)), settled: row.settled })
  })

/** True when both lists ask for the same quantities of the same products. */
export const sameItems = (a: ReadonlyArray<StockItem>, b: ReadonlyArray<StockItem>) => {
  if (a.length !== b.length) return false
  const quantities = new Map(a.map((item) => [item.productId, item.quantity]))
  return b.every((item) => quantities.get(item.productId) === item.quantity)
}
