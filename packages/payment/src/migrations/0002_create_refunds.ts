import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * Refunds, one row per refund with its own processor key `refund:<payment_id>:<seq>`: the sequence number is
 * taken under the payment's row lock, so two concurrent refunds can never share a processor key. Payments keep
 * the caller's idempotency key for display.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE payments ADD COLUMN idempotency_key text NOT NULL DEFAULT ''`
  yield* sql`
    CREATE TABLE refunds (
      id text PRIMARY KEY,
      payment_id text NOT NULL REFERENCES payments (id),
      seq integer NOT NULL CHECK (seq > 0),
      amount_cents bigint NOT NULL CHECK (amount_cents > 0),
      status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
      provider_refund_id text,
      provider_idempotency_key text NOT NULL UNIQUE,
      failure_reason text,
      reason text NOT NULL DEFAULT '',
      idempotency_key text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (payment_id, seq)
    )`
  yield* sql`CREATE INDEX refunds_pending_idx ON refunds (updated_at) WHERE status = 'pending'`
})
