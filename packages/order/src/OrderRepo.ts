import { Array as Arr, Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"
import type { OrderItem, OrderPaymentStatus, OrderRecord, OrderStatus, ShippingAddress } from "./SagaState.ts"

interface OrderRow {
  readonly id: string
  readonly user_id: string
  readonly idempotency_key: string
  readonly request_fingerprint: string
  readonly status: OrderStatus
  readonly saga_id: string
  readonly total_cents: string | number
  readonly currency: string
  readonly payment_method: string
  readonly shipping_address: ShippingAddress | string
  readonly payment_status: OrderPaymentStatus
  readonly payment_id: string | null
  readonly tracking_number: string | null
  readonly failure_reason: string | null
  readonly created_at: string
  readonly updated_at: string
  readonly confirmed_at: string | null
}

interface ItemRow {
  readonly order_id: string
  readonly product_id: string
  readonly name: string
  readonly quantity: number
  readonly unit_price_cents: string | number
}

/** A page of a user's orders, newest first. */
export interface OrderPage {
  readonly orders: ReadonlyArray<OrderRecord>
  readonly total: number
  readonly nextCursor: string | undefined
}

export type PageRequest =
  | { readonly _tag: "Page"; readonly page: number; readonly limit: number }
  | { readonly _tag: "After"; readonly createdAt: string; readonly id: string; readonly limit: number }

const toRecord = (row: OrderRow, items: ReadonlyArray<ItemRow>): OrderRecord => ({
  id: row.id,
  userId: row.user_id,
  idempotencyKey: row.idempotency_key,
  fingerprint: row.request_fingerprint,
  status: row.status,
  sagaId: row.saga_id,
  items: items.map((item): OrderItem => ({
    productId: item.product_id,
    name: item.name,
    quantity: item.quantity,
    unitPriceCents: Number(item.unit_price_cents)
  })),
  totalCents: Number(row.total_cents),
  currency: row.currency.trim(),
  paymentMethod: row.payment_method,
  shippingAddress: typeof row.shipping_address === "string"
    ? JSON.parse(row.shipping_address) as ShippingAddress
    : row.shipping_address,
  paymentStatus: row.payment_status,
  paymentId: row.payment_id ?? undefined,
  trackingNumber: row.tracking_number ?? undefined,
  failureReason: row.failure_reason ?? undefined,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  confirmedAt: row.confirmed_at ?? undefined
})

/** Orders and their lines in PostgreSQL. */
export class OrderRepo extends Context.Service<OrderRepo, {
  /** Inserts the order, or does nothing when (user, idempotency key) exists; the stored order when inserted. */
  readonly insert: (order: OrderRecord) => Effect.Effect<Option.Option<OrderRecord>, SqlError, never>
  readonly findById: (id: string) => Effect.Effect<Option.Option<OrderRecord>, SqlError>
  readonly findByKey: (userId: string, key: string) => Effect.Effect<Option.Option<OrderRecord>, SqlError>
  readonly list: (userId: string, request: PageRequest) => Effect.Effect<OrderPage, SqlError>
}>()("order/OrderRepo") {
  static readonly layer = Layer.effect(
    OrderRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const iso = (column: string) =>
        sql.literal(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`)
      const columns = sql.literal(`id, user_id, idempotency_key, request_fingerprint, status, saga_id,
        total_cents::text AS total_cents, currency, payment_method, shipping_address, payment_status, payment_id,
        tracking_number, failure_reason`)
      const select = sql`SELECT ${columns}, ${iso("created_at")} AS created_at, ${iso("updated_at")} AS updated_at,
        ${iso("confirmed_at")} AS confirmed_at FROM orders`

      const withItems = (rows: ReadonlyArray<OrderRow>) =>
        Effect.gen(function*() {
          if (rows.length === 0) return []
          const ids = rows.map((row) => row.id)
          const items = yield* sql<ItemRow>`
            SELECT order_id, product_id, name, quantity, unit_price_cents::text AS unit_price_cents
            FROM order_items WHERE ${sql.in("order_id", ids)} ORDER BY product_id`
          return rows.map((row) => toRecord(row, items.filter((item) => item.order_id === row.id)))
        })
      const first = (rows: ReadonlyArray<OrderRow>) =>
        Effect.map(withItems(rows), (records) => Option.fromNullishOr(records[0]))

      const insert = Effect.fn("OrderRepo.insert")(function*(order: OrderRecord) {
        const inserted = yield* sql<{ readonly created_at: string }>`
          INSERT INTO orders (id, user_id, idempotency_key, request_fingerprint, status, saga_id, total_cents,
            currency, payment_method, shipping_address, payment_status)
          VALUES (${order.id}, ${order.userId}, ${order.idempotencyKey}, ${order.fingerprint}, 'pending',
            ${order.sagaId}, ${order.totalCents}, ${order.currency}, ${order.paymentMethod},
            ${JSON.stringify(order.shippingAddress)}::jsonb, 'pending')
          ON CONFLICT (user_id, idempotency_key) DO NOTHING
          RETURNING ${iso("created_at")} AS created_at`
        const createdAt = inserted[0]?.created_at
        if (createdAt === undefined) return Option.none()
        const items = order.items
        if (!Arr.isReadonlyArrayNonEmpty(items)) return yield* Effect.die(new Error("an order without lines"))
        yield* sql`INSERT INTO order_items ${
          sql.insert(Arr.map(items, (item) => ({
            order_id: order.id,
            product_id: item.productId,
            name: item.name,
            quantity: item.quantity,
            unit_price_cents: item.unitPriceCents
          })))
        }`
        return Option.some({ ...order, createdAt, updatedAt: createdAt })
      })
      const findById = Effect.fn("OrderRepo.findById")(function*(id: string) {
        return yield* first(yield* sql<OrderRow>`${select} WHERE id = ${id}`)
      })
      const findByKey = Effect.fn("OrderRepo.findByKey")(function*(userId: string, key: string) {
        return yield* first(yield* sql<OrderRow>`${select} WHERE user_id = ${userId} AND idempotency_key = ${key}`)
      })
      const list = Effect.fn("OrderRepo.list")(function*(userId: string, request: PageRequest) {
        const [count] = yield* sql<
          { readonly n: string }
        >`SELECT count(*)::text AS n FROM orders WHERE user_id = ${userId}`
        const rows = request._tag === "Page"
          ? yield* sql<OrderRow>`${select} WHERE user_id = ${userId} ORDER BY created_at DESC, id DESC
              LIMIT ${request.limit + 1} OFFSET ${(request.page - 1) * request.limit}`
          : yield* sql<OrderRow>`${select} WHERE user_id = ${userId}
              AND (created_at, id) < (${request.createdAt}::timestamptz, ${request.id})
              ORDER BY created_at DESC, id DESC LIMIT ${request.limit + 1}`
        const page = rows.slice(0, request.limit)
        const last = page.at(-1)
        const nextCursor = rows.length > request.limit && last !== undefined
          ? Buffer.from(JSON.stringify([last.created_at, last.id])).toString("base64url")
          : undefined
        return { orders: yield* withItems(page), total: Number(count?.n ?? 0), nextCursor } satisfies OrderPage
      })
      return OrderRepo.of({ insert, findById, findByKey, list })
    })
  )
}
