import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * Tables of the PostgreSQL event log. `seq` is the global order; publishers take a transaction-scoped advisory lock
 * so that sequence order equals commit order (otherwise a consumer could commit past a row still in flight and
 * never see it). Offsets are per consumer group, with a lease so that one instance of a group consumes at a time.
 */
export const ensureEventLogSchema = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE IF NOT EXISTS event_log (
      seq bigserial PRIMARY KEY,
      event_id text NOT NULL UNIQUE,
      topic text NOT NULL,
      key text NOT NULL,
      type text NOT NULL,
      version integer NOT NULL,
      traceparent text,
      value text NOT NULL,
      stored_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE INDEX IF NOT EXISTS event_log_topic_seq_idx ON event_log (topic, seq)`
  yield* sql`
    CREATE TABLE IF NOT EXISTS event_log_offsets (
      group_id text PRIMARY KEY,
      committed_seq bigint NOT NULL DEFAULT 0,
      owner text,
      lease_until timestamptz
    )`
}).pipe(
  // Two processes creating the tables at once: one of them loses the race on the catalog; the second try sees them.
  Effect.retry({ times: 2 })
)

/** Key of the advisory lock that serializes publishers (any constant shared by every publisher). */
export const publishLockKey = 7_316_001
