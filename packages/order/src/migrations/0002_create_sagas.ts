import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * Saga state, one row per order: the step to run next, its retry schedule and a lease. Every transition is written
 * in the same transaction as the order change and outbox row it implies, so a restart resumes from the last one.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE sagas (
      order_id text PRIMARY KEY REFERENCES orders (id),
      saga_id text NOT NULL UNIQUE,
      step text NOT NULL
        CHECK (step IN ('reserve', 'charge', 'await_payment', 'commit', 'refund', 'release', 'confirmed', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      locked_until timestamptz,
      last_error text,
      failure_reason text,
      failure_detail text,
      payment_id text,
      reservation_expires_at timestamptz,
      refunded boolean NOT NULL DEFAULT false,
      traceparent text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE INDEX sagas_due_idx ON sagas (next_attempt_at) WHERE step NOT IN ('confirmed', 'failed')`
})
