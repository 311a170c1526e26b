import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * Requests being placed: the claim of an idempotency key from the moment a CreateOrder starts until its order is
 * stored (the claim is deleted in the order's transaction) or the request fails (deleted then). A second request
 * with the key meanwhile, on any replica, finds the claim and is told the first is still in progress. A claim older
 * than its lease was left by a process that died and may be taken over. Also: listing by status uses an index.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE order_requests (
      user_id text NOT NULL,
      idempotency_key text NOT NULL,
      request_fingerprint text NOT NULL,
      claimed_by text NOT NULL,
      claimed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (user_id, idempotency_key)
    )`
  yield* sql`CREATE INDEX orders_user_status_created_idx ON orders (user_id, status, created_at DESC, id DESC)`
})
