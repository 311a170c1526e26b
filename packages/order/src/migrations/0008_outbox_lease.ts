import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * The relay leases the rows it publishes instead of holding them locked in a transaction while the transport
 * answers: a claim and a mark, two round trips per batch where BEGIN, the claim, the mark and COMMIT took four. A
 * lease that ran out (its relay died mid-publish) makes the rows claimable again.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE outbox ADD COLUMN leased_until timestamptz`
})
