import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/** Orders, their lines, and the transactional outbox written in the same transaction as each state change. */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE orders (
      id text PRIMARY KEY,
      user_id text NOT NULL,
      idempotency_key text NOT NULL,
      request_fingerprint text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'confirmed', 'failed', 'cancelled')),
      saga_id text NOT NULL UNIQUE,
      total_cents bigint NOT NULL CHECK (total_cents >= 0),
      currency char(3) NOT NULL DEFAULT 'USD',
      payment_method text NOT NULL,
      shipping_address jsonb NOT NULL,
      payment_status text NOT NULL DEFAULT 'pending',
      payment_id text,
      tracking_number text,
      failure_reason text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      confirmed_at timestamptz,
      UNIQUE (user_id, idempotency_key)
    )`
  yield* sql`CREATE INDEX orders_user_created_idx ON orders (user_id, created_at DESC, id DESC)`
  yield* sql`
    CREATE TABLE order_items (
      order_id text NOT NULL REFERENCES orders (id),
      product_id text NOT NULL,
      name text NOT NULL,
      quantity integer NOT NULL CHECK (quantity > 0),
      unit_price_cents bigint NOT NULL CHECK (unit_price_cents > 0),
      PRIMARY KEY (order_id, product_id)
    )`
  yield* sql`
    CREATE TABLE outbox (
      seq bigserial PRIMARY KEY,
      event_id text NOT NULL UNIQUE,
      aggregate_id text NOT NULL,
      type text NOT NULL,
      version integer NOT NULL,
      payload jsonb NOT NULL,
      headers jsonb NOT NULL DEFAULT '{}',
      occurred_at timestamptz NOT NULL DEFAULT now(),
      published_at timestamptz,
      attempts integer NOT NULL DEFAULT 0,
      last_error text
    )`
  yield* sql`CREATE INDEX outbox_unpublished_idx ON outbox (seq) WHERE published_at IS NULL`
})
