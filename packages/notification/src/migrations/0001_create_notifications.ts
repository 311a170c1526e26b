import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/** Delivery records, the inbox that deduplicates consumed events, and the dead-letter store. */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE inbox (
      event_id text PRIMARY KEY,
      type text NOT NULL,
      processed_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`
    CREATE TABLE notifications (
      id text PRIMARY KEY,
      event_id text NOT NULL,
      order_id text NOT NULL,
      channel text NOT NULL CHECK (channel IN ('email', 'sms')),
      recipient text NOT NULL,
      template text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'dead')),
      attempts integer NOT NULL DEFAULT 0,
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz,
      UNIQUE (event_id, channel)
    )`
  yield* sql`CREATE INDEX notifications_order_idx ON notifications (order_id)`
  yield* sql`
    CREATE TABLE dead_letters (
      id bigserial PRIMARY KEY,
      event_id text NOT NULL,
      type text NOT NULL,
      payload jsonb NOT NULL,
      error text NOT NULL,
      attempts integer NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      redriven_at timestamptz
    )`
})
