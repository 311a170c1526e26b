import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * The PostgreSQL event log: `seq` is the global order (publishers serialize on an advisory lock so that sequence
 * order equals commit order); offsets are per consumer group, with a lease so that one instance of a group consumes
 * at a time. `IF NOT EXISTS`: databases set up before the log had migrations already have these tables.
 */
export default Effect.gen(function*() {
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
})
