import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * One counter that writers outside the service move when they change the catalog behind its back (the seed, an
 * operator's SQL): every product service instance watches it and invalidates its caches when it moves.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE catalog_epoch (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      epoch bigint NOT NULL DEFAULT 0,
      changed_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`INSERT INTO catalog_epoch DEFAULT VALUES`
})
