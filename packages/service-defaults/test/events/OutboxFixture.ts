import { PgClient } from "@effect/sql-pg"
import { encodeEvent, OrderCancelled } from "@shop/domain/Events"
import { type OrderId, UserId } from "@shop/domain/Ids"
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { acquireTestDatabase } from "../../testing/TestDatabase.ts"

/** A fresh database holding a producing service's `outbox` table, as the services' migrations create it. */
export const OutboxDatabase = Layer.unwrap(
  Effect.map(
    acquireTestDatabase("outbox"),
    ({ maxConnections, url }) =>
      Layer.effectDiscard(SqlClient.SqlClient.use((sql) =>
        sql`CREATE TABLE outbox (
      seq bigserial PRIMARY KEY, event_id text NOT NULL UNIQUE, aggregate_id text NOT NULL, type text NOT NULL,
      version integer NOT NULL, payload jsonb NOT NULL, headers jsonb NOT NULL DEFAULT '{}',
      occurred_at timestamptz NOT NULL DEFAULT now(), published_at timestamptz, attempts integer NOT NULL DEFAULT 0,
      last_error text, leased_until timestamptz)`
      )).pipe(Layer.provideMerge(PgClient.layer({ url: Redacted.make(url), maxConnections })))
  )
)

export const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

/** Writes one `order.cancelled` event per order into the outbox, as a service's transaction would; returns the ids. */
export const insertCancellations = (orders: ReadonlyArray<OrderId>, reason: string) =>
  Effect.forEach(orders, (orderId) =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const event = yield* OrderCancelled.create({ orderId, userId: UserId.make("user_1"), reason }, { traceparent })
      const e = yield* encodeEvent(event)
      yield* sql`INSERT INTO outbox (event_id, aggregate_id, type, version, payload, headers, occurred_at)
        VALUES (${e.eventId}, ${e.key}, ${e.type}, ${e.version}, ${JSON.stringify(e.payload)}::jsonb,
          ${JSON.stringify({ traceparent: e.traceparent })}::jsonb, ${e.occurredAt}::timestamptz)`
      return e.eventId
    }))
