import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/** The inbox retention sweep deletes by age. */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE INDEX inbox_processed_at_idx ON inbox (processed_at)`
})
