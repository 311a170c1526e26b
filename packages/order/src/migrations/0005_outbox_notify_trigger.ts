import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * The outbox wakes its relay itself: one NOTIFY per inserting statement, sent at commit, instead of a
 * `SELECT pg_notify(...)` round trip after every event the service writes. PostgreSQL folds identical
 * notifications of one transaction into one.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('outbox', '');
      RETURN NULL;
    END $$`
  yield* sql`CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()`
})
