import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * The outbox no longer notifies its relay: the writers wake the relay of their own process (`OutboxWakeUp`). A
 * transaction that sends a NOTIFY holds a server-wide lock from before its commit record until the record is
 * flushed, so every order's placement and confirmation queued behind the others' WAL flushes.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`DROP TRIGGER IF EXISTS outbox_notify ON outbox`
  yield* sql`DROP FUNCTION IF EXISTS outbox_notify()`
})
