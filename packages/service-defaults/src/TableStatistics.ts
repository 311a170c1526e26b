import { Config, Duration, Effect } from "effect"
import { SqlClient } from "effect/sql"

/** Changed rows below which a table's statistics are left to autovacuum: small tables plan well either way. */
export const outgrownAfterRows = 1_000

/**
 * Analyzes the tables of the current database whose statistics describe less than half of their rows: at least
 * `outgrownAfterRows` rows changed since the last ANALYZE, and more than the table held then (a table never analyzed
 * holds an unknown number, so any such change counts). Returns the tables analyzed.
 *
 * Why the service does what autovacuum does anyway: autovacuum analyzes a table only at its next round
 * (`autovacuum_naptime`, a minute by default), and until then PostgreSQL plans with statistics of a table that was
 * empty. A statement prepared then keeps a plan made for an empty table on its connection for as long as nothing
 * invalidates it; an ANALYZE does. On an empty `orders` table, the lookup of a user's idempotency key ties between
 * the unique (user, key) index and the user's listing indexes, and the plan chosen read every order of the user,
 * so an order cost more than the one before it until autovacuum came round (after a fresh start, one user placing
 * every order: 3,197 index entries read per lookup after 6,444 orders).
 */
export const analyzeOutgrownTables = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const outgrown = yield* sql<{ readonly name: string }>`
    SELECT format('%I.%I', s.schemaname, s.relname) AS name
    FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
    WHERE s.n_mod_since_analyze >= ${outgrownAfterRows} AND s.n_mod_since_analyze > greatest(c.reltuples, 0)`
  // The names come quoted from PostgreSQL itself (`format('%I')`).
  for (const { name } of outgrown) yield* sql.unsafe(`ANALYZE ${name}`)
  return outgrown.map(({ name }) => name)
})

/**
 * Runs {@link analyzeOutgrownTables} every `TABLE_STATISTICS_EVERY` (10 s; zero turns it off) for as long as the
 * scope lives. A failed round is logged and the next one runs: statistics are an optimisation, never a reason to stop.
 */
export const keepTableStatistics = Effect.gen(function*() {
  const every = yield* Config.Duration("TABLE_STATISTICS_EVERY").pipe(Config.withDefault(Duration.seconds(10)))
  if (Duration.isZero(every)) return
  const round = analyzeOutgrownTables.pipe(
    Effect.tap((analyzed) =>
      analyzed.length === 0 ? Effect.void : Effect.logDebug("analyzed outgrown tables", analyzed.join(", "))
    ),
    Effect.catchCause((cause) => Effect.logWarning("could not refresh table statistics", cause))
  )
  yield* Effect.forkScoped(Effect.forever(Effect.andThen(Effect.sleep(every), round)))
})
