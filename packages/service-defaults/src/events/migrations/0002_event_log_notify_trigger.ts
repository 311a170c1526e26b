import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * The event log wakes its consumers itself: one NOTIFY on channel `event_log` per inserting statement, sent at
 * commit, instead of a `SELECT pg_notify(...)` round trip in every publishing transaction.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE FUNCTION event_log_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('event_log', '');
      RETURN NULL;
    END $$`
  yield* sql`CREATE TRIGGER event_log_notify AFTER INSERT ON event_log
    FOR EACH STATEMENT EXECUTE FUNCTION event_log_notify()`
})
