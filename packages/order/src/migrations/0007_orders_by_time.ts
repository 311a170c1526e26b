import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/** The operator console lists every customer's orders newest first, of every status or of one. */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC)`
  yield* sql`CREATE INDEX orders_status_created_idx ON orders (status, created_at DESC, id DESC)`
})
