import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/** Payments and the idempotency records that make every payment command safe to repeat. */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE payments (
      id text PRIMARY KEY,
      order_id text NOT NULL UNIQUE,
      status text NOT NULL CHECK (status IN ('pending', 'pending_unknown', 'succeeded', 'failed', 'refunded')),
      amount_cents bigint NOT NULL CHECK (amount_cents > 0),
      currency char(3) NOT NULL,
      payment_method text NOT NULL,
      provider_charge_id text,
      provider_idempotency_key text NOT NULL UNIQUE,
      failure_reason text,
      refunded_cents bigint NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0 AND refunded_cents <= amount_cents),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE INDEX payments_unknown_idx ON payments (updated_at) WHERE status = 'pending_unknown'`
  yield* sql`
    CREATE TABLE idempotency_records (
      caller text NOT NULL,
      key text NOT NULL,
      fingerprint text NOT NULL,
      state text NOT NULL CHECK (state IN ('in_flight', 'completed')),
      locked_until timestamptz,
      response jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz,
      PRIMARY KEY (caller, key)
    )`
})
