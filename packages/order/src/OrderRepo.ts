import { type Order, type OrderStatus, ServiceUnavailable, type UserId } from "@shop/domain"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Array as Arr, Context, DateTime, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema, type Statement } from "effect/sql"
import { LineRow, OrderKey, OrderRow, toOrder } from "./OrderRows.ts"

/** A page of a user's orders, newest first; `total` counts every order that matches the filter. */
export interface OrderPage {
  readonly orders: ReadonlyArray<Order>
  readonly total: number
  readonly nextCursor: string | undefined
}

export type PageRequest =
  | { readonly _tag: "Page"; readonly page: number; readonly limit: number }
  | { readonly _tag: "After"; readonly createdAt: string; readonly id: string; readonly limit: number }

/** An order and the digest of the request that placed it (to tell a replay from a reused key). */
export interface StoredOrder {
  readonly order: Order
  readonly fingerprint: string
}

const columns = `id, user_id, idempotency_key, request_fingerprint, status, saga_id, total_cents, currency,
  payment_method, shipping_address, contact, payment_status, payment_id, tracking_number, failure_reason, created_at,
  updated_at, confirmed_at`

// The database is the order service's own: an outage is the service being unavailable; a row that does not decode
// is a bug (or a corrupt row), a defect.
const unavailable = (error: { readonly message: string }) =>
  new ServiceUnavailable({ service: "order-database", detail: error.message })

/** Orders and their lines in PostgreSQL, decoded into the domain's `Order`. */
export class OrderRepo extends Context.Service<OrderRepo, {
  /**
   * The statements that insert the order and its lines; they run in the one statement that stores a placed order
   * (`Orders`), which fails whole with a unique violation when (user, idempotency key) has an order already.
   */
  readonly insertStatements: (
    order: Order,
    fingerprint: string
  ) => readonly [order: Statement.Statement<never>, lines: Statement.Statement<never>]
  /**
   * The statement that stores what changed of an existing order (its status, payment, tracking number and failure),
   * only when `onlyIf` holds; it runs in the statement that moves the order's saga on (see `SagaStore`).
   */
  readonly saveStatement: (order: Order, onlyIf: Statement.Fragment) => Statement.Statement<never>
  readonly findById: (id: Order["id"]) => Effect.Effect<Option.Option<Order>, ServiceUnavailable>
  readonly findByKey: (
    userId: UserId,
    key: Order["idempotencyKey"]
  ) => Effect.Effect<Option.Option<StoredOrder>, ServiceUnavailable>
  /**
   * A page of the user's orders (every user's when `userId` is undefined: the operator console), only those in
   * `status` when one is given (filtered in the query).
   */
  readonly list: (
    userId: UserId | undefined,
    request: PageRequest,
    status?: OrderStatus | undefined
  ) => Effect.Effect<OrderPage, ServiceUnavailable>
}>()("order/OrderRepo") {
  static readonly layer = Layer.effect(
    OrderRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const select = sql.literal(`SELECT ${columns} FROM orders`)

      const byId = SqlSchema.findAll({
        Request: OrderRow.fields.id,
        Result: OrderRow,
        execute: (id) => sql`${select} WHERE id = ${id}`
      })
      const byKey = SqlSchema.findAll({
        Request: OrderKey,
        Result: OrderRow,
        execute: (key) => sql`${select} WHERE user_id = ${key.userId} AND idempotency_key = ${key.idempotencyKey}`
      })
      const linesOf = SqlSchema.findAll({
        Request: Schema.Array(OrderRow.fields.id),
        Result: LineRow,
        execute: (ids) =>
          sql`SELECT order_id, product_id, name, quantity, unit_price_cents FROM order_items
            WHERE ${sql.in("order_id", ids)} ORDER BY product_id`
      })

      const withLines = (rows: ReadonlyArray<OrderRow>) =>
        Effect.gen(function*() {
          if (rows.length === 0) return []
          const lines = yield* linesOf(rows.map((row) => row.id))
          return rows.map((row) => toOrder(row, lines.filter((line) => line.order_id === row.id)))
        })

      const insertStatements = (
        order: Order,
        fingerprint: string
      ): readonly [Statement.Statement<never>, Statement.Statement<never>] => {
        const lines = order.items
        if (!Arr.isReadonlyArrayNonEmpty(lines)) throw new Error("an order without lines")
        return [
          sql<never>`
          INSERT INTO orders (id, user_id, idempotency_key, request_fingerprint, status, saga_id, total_cents,
            currency, payment_method, shipping_address, contact, created_at, updated_at)
          VALUES (${order.id}, ${order.userId}, ${order.idempotencyKey}, ${fingerprint}, ${order.status},
            ${order.sagaId}, ${order.totalCents}, ${order.currency}, ${order.paymentMethod},
            ${JSON.stringify(order.shippingAddress)}::jsonb,
            ${order.contact === undefined ? null : JSON.stringify(order.contact)}::jsonb,
            ${DateTime.toDateUtc(order.createdAt)},
            ${DateTime.toDateUtc(order.updatedAt)})`,
          sql<never>`INSERT INTO order_items ${
            sql.insert(Arr.map(lines, (line) => ({
              order_id: order.id,
              product_id: line.productId,
              name: line.name,
              quantity: line.quantity,
              unit_price_cents: line.unitPrice
            })))
          }`
        ]
      }

      const saveStatement = (order: Order, onlyIf: Statement.Fragment) =>
        sql<never>`UPDATE orders SET status = ${order.status}, payment_status = ${order.paymentStatus ?? null},
          payment_id = ${order.paymentId ?? null}, tracking_number = ${order.trackingNumber ?? null},
          failure_reason = ${order.failureReason ?? null},
          confirmed_at = ${order.confirmedAt === undefined ? null : DateTime.toDateUtc(order.confirmedAt)},
          updated_at = ${DateTime.toDateUtc(order.updatedAt)}
          WHERE id = ${order.id} AND ${onlyIf}`

      const first = (rows: ReadonlyArray<OrderRow>) =>
        Effect.map(withLines(rows), (orders) => Option.fromNullishOr(orders[0]))

      const findById = traced("OrderRepo.findById")(
        function*(id: Order["id"]) {
          return yield* first(yield* byId(id))
        },
        Effect.catchTag("SchemaError", Effect.die),
        Effect.mapError(unavailable)
      )

      const findByKey = traced("OrderRepo.findByKey")(
        function*(userId: UserId, idempotencyKey: Order["idempotencyKey"]) {
          const rows = yield* byKey({ userId, idempotencyKey })
          const order = yield* first(rows)
          return Option.map(
            order,
            (found): StoredOrder => ({ order: found, fingerprint: rows[0]!.request_fingerprint })
          )
        },
        Effect.catchTag("SchemaError", Effect.die),
        Effect.mapError(unavailable)
      )

      // The filter is part of every query of a listing (rows, count and the cursor's continuation), so pages are
      // full, `total` counts the matching orders only and a cursor continues among them.
      // `userId` undefined: every user's orders (the operator console).
      const matching = (userId: UserId | undefined, status: OrderStatus | undefined) =>
        sql.and([
          userId === undefined ? sql`TRUE` : sql`user_id = ${userId}`,
          ...(status === undefined ? [] : [sql`status = ${status}`])
        ])

      const decodeRows = Schema.decodeUnknownEffect(Schema.Array(OrderRow))
      const countOf = (userId: UserId | undefined, status: OrderStatus | undefined) =>
        sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM orders WHERE ${matching(userId, status)}`

      const list = traced("OrderRepo.list")(
        function*(userId: UserId | undefined, request: PageRequest, status?: OrderStatus | undefined) {
          const [count] = yield* countOf(userId, status)
          const rows = yield* decodeRows(
            request._tag === "Page"
              ? yield* sql`${select} WHERE ${matching(userId, status)} ORDER BY created_at DESC, id DESC
                LIMIT ${request.limit + 1} OFFSET ${(request.page - 1) * request.limit}`
              : yield* sql`${select} WHERE ${matching(userId, status)}
                AND (created_at, id) < (${request.createdAt}::timestamptz, ${request.id})
                ORDER BY created_at DESC, id DESC LIMIT ${request.limit + 1}`
          )
          const page = rows.slice(0, request.limit)
          const last = page.at(-1)
          const nextCursor = rows.length > request.limit && last !== undefined
            ? Buffer.from(JSON.stringify([DateTime.formatIso(last.created_at), last.id])).toString("base64url")
            : undefined
          return { orders: yield* withLines(page), total: count?.n ?? 0, nextCursor } satisfies OrderPage
        },
        Effect.catchTag("SchemaError", Effect.die),
        Effect.mapError(unavailable)
      )

      return OrderRepo.of({ insertStatements, saveStatement, findById, findByKey, list })
    })
  )
}
