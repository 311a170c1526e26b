import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/** The customer's contact for an order (`{ email, phone? }`): where its confirmation or failure is sent. */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE orders ADD COLUMN contact jsonb`
})
