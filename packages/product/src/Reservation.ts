import { Array as Arr, DateTime, Duration, Effect, Option } from "effect"
import type { SqlClient } from "effect/sql"

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
    return Option.some(reservationOf(
      row,
      items.map((item) => ({
        productId: item.product_id,
        quantity: item.quantity,
        unitPriceCents: Number(item.unit_price_cents),
        currency: item.currency.trim(),
        name: item.name
      }))
    ))
  })

/**
 * Inserts a pending reservation holding stock for `ttl`, unless the order has one already (then none). Its lines
 * are added by `holdStock`.
 */
export const insertReservation = (sql: SqlClient.SqlClient, orderId: string, ttl: Duration.Duration) =>
  Effect.map(
    sql<ReservationRow>`
      INSERT INTO reservations (order_id, status, expires_at)
      VALUES (${orderId}, 'reserved', now() + ${Duration.toMillis(ttl)} * interval '1 millisecond')
      ON CONFLICT (order_id) DO NOTHING RETURNING ${sql.literal(reservationColumns)}`,
    (rows) => Option.fromNullishOr(rows[0])
  )

/**
 * Locks the rows of `productIds` in id order. Every transaction that touches several products locks them this way
 * first, so two transactions can never hold each other's rows: no deadlock, whatever order the items came in.
 */
export const lockProducts = (sql: SqlClient.SqlClient, productIds: ReadonlyArray<string>) =>
  sql<{
    readonly id: string
    readonly name: string
    readonly price_cents: bigint | number
    readonly currency: string
    readonly on_hand: number
    readonly reserved: number
  }>`SELECT id, name, price_cents, currency, on_hand, reserved FROM products
     WHERE id = ANY(${productIds}) ORDER BY id FOR UPDATE`

type LockedProduct = Effect.Success<ReturnType<typeof lockProducts>>[number]

/**
 * Adds the items to the reserved stock of their (locked) products and records them under the order's new
 * reservation, which it returns. The UPDATE is guarded, so that even a row locked by mistake is never oversold, and
 * the CHECK constraints back it up. `items` are in product id order.
 */
export const holdStock = (
  sql: SqlClient.SqlClient,
  reservation: ReservationRow,
  items: ReadonlyArray<StockItem>,
  locked: ReadonlyMap<string, LockedProduct>
) =>
  Effect.gen(function*() {
    const updated = yield* sql`
      UPDATE products p SET reserved = p.reserved + v.quantity
      FROM unnest(${items.map((i) => i.productId)}::text[], ${items.map((i) => i.quantity)}::int[]) AS v(id, quantity)
      WHERE p.id = v.id AND p.on_hand - p.reserved >= v.quantity RETURNING p.id`
    if (updated.length !== items.length) return yield* Effect.die("guarded stock update missed a locked row")
    const lines = items.flatMap((item): Array<ReservedItem> => {
      const product = locked.get(item.productId)
      return product === undefined ? [] : [{
        productId: item.productId,
        quantity: item.quantity,
        unitPriceCents: Number(product.price_cents),
        currency: product.currency.trim(),
        name: product.name
      }]
    })
    const records = lines.map((line): Record<string, unknown> => ({
      order_id: reservation.order_id,
      product_id: line.productId,
      quantity: line.quantity,
      unit_price_cents: line.unitPriceCents,
      currency: line.currency,
      name: line.name
    }))
    if (Arr.isReadonlyArrayNonEmpty(records)) yield* sql`INSERT INTO reservation_items ${sql.insert(records)}`
    return reservationOf(reservation, lines)
  })

/** Takes the items of an order off the reserved stock; a sale (`sold`) also takes them off the stock on hand. */
export const settleStock = (sql: SqlClient.SqlClient, orderId: string, sold: boolean) => {
  const quantity = sold ? sql`i.quantity` : sql`0`
  return sql`
    UPDATE products p SET reserved = p.reserved - i.quantity, on_hand = p.on_hand - ${quantity},
      sold = p.sold + ${quantity}
    FROM reservation_items i WHERE i.order_id = ${orderId} AND p.id = i.product_id`
}

/**
 * Ends a pending reservation inside the caller's transaction: its products are locked in id order, its units leave
 * the reserved stock (and, when committed, the stock on hand, counted as sold).
 */
export const settleReservation = (
  sql: SqlClient.SqlClient,
  reservation: Reservation,
  status: "committed" | "released" | "expired",
  reason: string | null
) =>
  Effect.gen(function*() {
    yield* lockProducts(sql, reservation.items.map((item) => item.productId))
    yield* settleStock(sql, reservation.orderId, status === "committed")
    const [row] = yield* sql<ReservationRow>`
      UPDATE reservations SET status = ${status}, resolved_at = now(), updated_at = now(), release_reason = ${reason}
      WHERE order_id = ${reservation.orderId} RETURNING ${sql.literal(reservationColumns)}`
    if (row === undefined) return yield* Effect.die(`reservation of ${reservation.orderId} vanished while locked`)
    return reservationOf(row, reservation.items)
  })

/** Whether a reservation's hold time is over, by the database's clock. */
export const isOverdue = (sql: SqlClient.SqlClient, orderId: string) =>
  Effect.map(
    sql<
      { readonly overdue: boolean }
    >`SELECT expires_at <= now() AS overdue FROM reservations WHERE order_id = ${orderId}`,
    ([row]) => row?.overdue === true
  )

/** True when both lists ask for the same quantities of the same products. */
export const sameItems = (a: ReadonlyArray<StockItem>, b: ReadonlyArray<StockItem>) => {
  if (a.length !== b.length) return false
  const quantities = new Map(a.map((item) => [item.productId, item.quantity]))
  return b.every((item) => quantities.get(item.productId) === item.quantity)
}
