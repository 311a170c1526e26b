import { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Fiber, Layer, Redacted, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import { DatabaseLive } from "../src/Database.ts"
import { HealthChecks } from "../src/HealthChecks.ts"
import { analyzeOutgrownTables, outgrownAfterRows } from "../src/TableStatistics.ts"
import { acquireTestDatabase } from "../testing/TestDatabase.ts"

const migrations = {
  "0001_create_widgets": SqlClient.SqlClient.use((sql) =>
    sql`CREATE TABLE widgets (id int PRIMARY KEY, name text NOT NULL)`
  ),
  "0002_add_color": SqlClient.SqlClient.use((sql) =>
    sql`ALTER TABLE widgets ADD COLUMN color text NOT NULL DEFAULT 'red'`
  )
}

/** Builds DatabaseLive against `url` the way a service does: from configuration. */
const databaseAt = (url: string, maxConnections: number, settings: Record<string, string> = {}) =>
  DatabaseLive({ database: "widgets", migrations }).pipe(
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({
      DATABASE_URL: url,
      DATABASE_POOL_MAX: String(maxConnections),
      DATABASE_AUTO_CREATE: "false",
      ...settings
    })))
  )

/**
 * Twenty statements at once, each sleeping 50 ms: the backends that ran them, and their transaction ids. The
 * statement for id 1 conflicts with the row inserted first, the others insert rows of their own.
 */
const twentyAtOnce = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`INSERT INTO widgets (id, name) VALUES (1, 'first')`
  return yield* Effect.forEach(
    Array.from({ length: 20 }, (_, i) => i + 1),
    (id) =>
      sql<{ pid: number; xid: string }>`
        WITH slept AS (SELECT pg_sleep(0.05)), inserted AS (
          INSERT INTO widgets (id, name) SELECT ${id}, 'again' FROM slept RETURNING id)
        SELECT pg_backend_pid() AS pid, txid_current()::text AS xid FROM inserted`.pipe(
        Effect.map((rows) => ({ id, ...rows[0]! })),
        Effect.catchReason("SqlError", "UniqueViolation", () => Effect.succeed({ id, pid: 0, xid: "conflict" }))
      ),
    { concurrency: "unbounded" }
  )
})

/**
 * Opens every connection of the pool before a measurement: statements at once until the pool's `size` backends have
 * each answered one. A pool opens its connections as statements wait for them; on a loaded machine an opening can
 * take longer than a short statement, which then frees its connection for the next one and leaves the pool smaller.
 */
const openEveryConnection = (size: number) =>
  SqlClient.SqlClient.use((sql) =>
    Effect.forEach(
      Array.from({ length: size }),
      () => sql<{ pid: number }>`SELECT pg_backend_pid() AS pid FROM pg_sleep(0.1)`.pipe(Effect.map((r) => r[0]!.pid)),
      { concurrency: "unbounded" }
    )
  ).pipe(
    Effect.repeat({ until: (pids) => new Set(pids).size === size, times: 20 }),
    Effect.map((pids) => new Set(pids).size)
  )

describe("DatabaseLive", () => {
  it.live("applies versioned migrations once, in order, and registers a readiness check", () =>
    Effect.gen(function*() {
      const db = yield* acquireTestDatabase("migrations")
      const run = Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`INSERT INTO widgets (id, name) VALUES (1, 'a') ON CONFLICT DO NOTHING`
        const rows = yield* sql<{ color: string }>`SELECT color FROM widgets WHERE id = 1`
        const applied = yield* sql<{ migration_id: number }>`
          SELECT migration_id FROM effect_sql_migrations ORDER BY migration_id`
        const checks = yield* (yield* HealthChecks).run
        return { color: rows[0]?.color, applied: applied.map((r) => r.migration_id), checks }
      })
      const layer = () => databaseAt(db.url, db.maxConnections).pipe(Layer.provideMerge(HealthChecks.layer))
      const first = yield* run.pipe(Effect.provide(layer()))
      // a restart finds the migrations applied and runs none twice (a second ALTER would fail)
      const second = yield* run.pipe(Effect.provide(Layer.fresh(layer())))
      assert.strictEqual(first.color, "red")
      assert.deepStrictEqual(first.applied, [1, 2])
      assert.deepStrictEqual(second.applied, [1, 2])
      assert.deepStrictEqual(first.checks.filter((c) => c.name === "postgres").map((c) => c.ok), [true])
    }).pipe(Effect.scoped))

  it.live("pipelines statements on shared connections by default, each in a transaction of its own and failing alone", () =>
    Effect.gen(function*() {
      const db = yield* acquireTestDatabase("multiplex")
      if (!db.real) return // PGlite serves one connection: there is nothing to share
      const layer = (settings: Record<string, string>) =>
        Layer.fresh(databaseAt(db.url, db.maxConnections, settings).pipe(Layer.provideMerge(HealthChecks.layer)))
      const pipelined = yield* twentyAtOnce.pipe(Effect.provide(layer({})))
      yield* SqlClient.SqlClient.use((sql) => sql`TRUNCATE widgets`).pipe(Effect.provide(layer({})))
      // Apart, with every connection open, each statement in flight holds one of the ten.
      const apart = yield* Effect.gen(function*() {
        assert.strictEqual(yield* openEveryConnection(db.maxConnections), db.maxConnections)
        return yield* twentyAtOnce
      }).pipe(Effect.provide(layer({ DATABASE_MULTIPLEX: "false" })))

      for (const results of [pipelined, apart]) {
        // only id 1 conflicted; every other insert committed in a transaction of its own
        assert.deepStrictEqual(results.filter((r) => r.xid === "conflict").map((r) => r.id), [1])
        const committed = results.filter((r) => r.xid !== "conflict")
        assert.strictEqual(new Set(committed.map((r) => r.xid)).size, 19)
      }
      const backends = (results: typeof pipelined) => new Set(results.filter((r) => r.pid !== 0).map((r) => r.pid))
      // pipelined, twenty statements fit on fewer connections than the pool's ten; apart, each took one of the ten
      assert.isBelow(backends(pipelined).size, db.maxConnections)
      assert.strictEqual(backends(apart).size, db.maxConnections)
    }).pipe(Effect.scoped))

  it.live("pipelined, a connection cut by the server fails what was in flight on it, never answers one statement with another's result, and the pool goes on", () =>
    Effect.gen(function*() {
      const db = yield* acquireTestDatabase("cut")
      if (!db.real) return // PGlite serves one connection of its own: the server cannot cut it
      const layer = Layer.fresh(databaseAt(db.url, db.maxConnections).pipe(Layer.provideMerge(HealthChecks.layer)))
      const admin = PgClient.layer({ url: Redacted.make(db.url), maxConnections: 1, applicationName: "cutter" })
      const result = yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        // Twenty inserts at once, statement i sleeping i * 25 ms first: pipelined, a connection's queue runs one
        // after another, so some are done before the cut, one is sleeping and the rest wait behind it.
        const insert = (id: number, seconds: number) =>
          sql<{ id: number; pid: number }>`
            WITH slept AS (SELECT pg_sleep(${seconds})), inserted AS (
              INSERT INTO widgets (id, name) SELECT ${id}, 'cut' FROM slept RETURNING id)
            SELECT id, pg_backend_pid() AS pid FROM inserted`.pipe(Effect.map((rows) => rows[0]!))
        const inFlight = yield* Effect.forkChild(Effect.forEach(
          Array.from({ length: 20 }, (_, i) => i),
          (i) => Effect.result(insert(i + 1, i * 0.025)),
          { concurrency: "unbounded" }
        ))
        const cut = yield* Effect.gen(function*() {
          const server = yield* SqlClient.SqlClient
          // The cut comes once two inserts are stored (the rest still has seconds of sleeps ahead)...
          yield* server<{ n: number }>`SELECT count(*)::int AS n FROM widgets`.pipe(
            Effect.repeat({ until: (rows) => rows[0]!.n >= 2, schedule: Schedule.spaced("10 millis") }),
            Effect.timeout("10 seconds")
          )
          // ...and terminates every backend of the service's pool from the server's side, the process left running.
          return yield* server<{ n: number }>`WITH victims AS MATERIALIZED (
              SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'widgets')
            SELECT (count(*) FILTER (WHERE pg_terminate_backend(pid)))::int AS n FROM victims`
        }).pipe(Effect.provide(admin))
        const outcomes = yield* Fiber.join(inFlight)
        // Afterwards the pool serves statements again, on new connections.
        const after = yield* Effect.forEach(
          Array.from({ length: 20 }, (_, i) => 101 + i),
          (id) => insert(id, 0),
          { concurrency: "unbounded" }
        )
        const stored = yield* sql<{ id: number }>`SELECT id FROM widgets ORDER BY id`
        return { cut: cut[0]!.n, outcomes, after, stored: stored.map((row) => row.id) }
      }).pipe(Effect.provide(layer))

      assert.isAbove(result.cut, 0)
      const answered = result.outcomes.flatMap((outcome, i) =>
        outcome._tag === "Success" ? [{ id: i + 1, row: outcome.success }] : []
      )
      const failed = result.outcomes.flatMap((outcome, i) =>
        outcome._tag === "Failure" ? [{ id: i + 1, error: outcome.failure }] : []
      )
      // The cut hit statements in flight, and some had been answered before it.
      assert.isNotEmpty(failed)
      assert.isNotEmpty(answered)
      for (const { error } of failed) assert.strictEqual(error._tag, "SqlError")
      // A failed statement was not run again behind the caller's back: none of them is stored, but for the one a
      // connection may have been committing when it was cut (its outcome unknown to the caller, as it must be told).
      assert.isAtMost(failed.filter(({ id }) => result.stored.includes(id)).length, 1)
      // Each answer is its own statement's, and what it says was stored is stored.
      for (const { id, row } of answered) {
        assert.strictEqual(row.id, id)
        assert.include(result.stored, id)
      }
      assert.deepStrictEqual(result.after.map((row) => row.id), Array.from({ length: 20 }, (_, i) => 101 + i))
      const cutBackends = new Set(answered.map(({ row }) => row.pid))
      assert.isTrue(result.after.every((row) => !cutBackends.has(row.pid)), "a cut connection answered again")
    }).pipe(Effect.scoped))

  it.live("a statement planned while its table was empty is planned again once the table has outgrown its statistics", () =>
    Effect.gen(function*() {
      const db = yield* acquireTestDatabase("statistics")
      const result = yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        // One connection: the prepared statement and its cached plan live on it, as a pool's statements do.
        yield* sql`CREATE TABLE purchases (id int PRIMARY KEY, buyer text NOT NULL, note text)`
        yield* sql`CREATE INDEX purchases_buyer_idx ON purchases (buyer)`
        // Analyzed while empty, as autovacuum may find a table right after its migration: zero rows, so scanning
        // the whole table is the cheapest plan there is. A generic plan is what a prepared statement settles on.
        yield* sql`ANALYZE purchases`
        yield* sql`SET plan_cache_mode = force_generic_plan`
        yield* sql`PREPARE by_buyer(text) AS SELECT id FROM purchases WHERE buyer = $1`
        const plan = () =>
          Effect.map(
            sql<{ "QUERY PLAN": string }>`EXPLAIN EXECUTE by_buyer('b7')`,
            (rows) => rows.map((row) => row["QUERY PLAN"]).join("\n")
          )
        const empty = yield* plan()
        yield* sql`INSERT INTO purchases SELECT i, 'b' || (i % 500), repeat('x', 100)
          FROM generate_series(1, ${outgrownAfterRows * 3}) i`
        // The counts of changed rows reach the statistics the analysis reads when the backend next reports them.
        yield* sql`SELECT pg_stat_force_next_flush()`
        const grown = yield* plan()
        const analyzed = yield* analyzeOutgrownTables.pipe(
          Effect.repeat({ until: (tables) => tables.length > 0, schedule: Schedule.spaced("100 millis"), times: 50 })
        )
        const after = yield* plan()
        const again = yield* analyzeOutgrownTables
        return { empty, grown, analyzed, after, again }
      }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(db.url), maxConnections: 1 })))

      assert.include(result.empty, "Seq Scan on purchases")
      // Three thousand rows later the cached plan still reads all of them for one buyer's six: nothing invalidated it.
      assert.include(result.grown, "Seq Scan on purchases")
      assert.deepStrictEqual(result.analyzed, ["public.purchases"])
      assert.include(result.after, "purchases_buyer_idx")
      assert.notInclude(result.after, "Seq Scan")
      // Analyzed, the table's statistics describe it: nothing to do until it outgrows them again.
      assert.deepStrictEqual(result.again, [])
    }).pipe(Effect.scoped))

  it.live("a service's database keeps its tables' statistics up to date in the background", () =>
    Effect.gen(function*() {
      const db = yield* acquireTestDatabase("statistics_loop")
      const lastAnalyzed = yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`INSERT INTO widgets (id, name) SELECT i, 'w' FROM generate_series(1, ${outgrownAfterRows * 2}) i`
        yield* sql`SELECT pg_stat_force_next_flush()`
        return yield* sql<{ analyzed: boolean }>`
          SELECT last_analyze IS NOT NULL AS analyzed FROM pg_stat_user_tables WHERE relname = 'widgets'`.pipe(
          Effect.repeat({
            until: (rows) => rows[0]?.analyzed === true,
            schedule: Schedule.spaced("100 millis"),
            times: 100
          })
        )
      }).pipe(
        Effect.provide(
          Layer.fresh(databaseAt(db.url, 1, { TABLE_STATISTICS_EVERY: "200 millis" })).pipe(
            Layer.provideMerge(HealthChecks.layer)
          )
        )
      )
      assert.deepStrictEqual(lastAnalyzed, [{ analyzed: true }])
    }).pipe(Effect.scoped))

  it.live("creates the service's database on a real server when it is missing", () =>
    Effect.gen(function*() {
      const db = yield* acquireTestDatabase("autocreate")
      if (!db.real) return // PGlite serves a single database; creation is a real-server feature
      const url = new URL(db.url)
      const name = `${url.pathname.slice(1)}_svc`
      url.pathname = `/${name}`
      const admin = PgClient.layer({ url: Redacted.make(db.url), maxConnections: 1 })
      yield* Effect.addFinalizer(() =>
        SqlClient.SqlClient.use((sql) => sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).pipe(
          Effect.provide(admin),
          Effect.orDie
        )
      )
      const count = yield* SqlClient.SqlClient.use((sql) => sql<{ n: number }>`SELECT count(*)::int AS n FROM widgets`)
        .pipe(
          Effect.provide(
            DatabaseLive({ database: name, migrations }).pipe(
              Layer.provide(HealthChecks.layer),
              Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ DATABASE_URL: url.toString() })))
            )
          )
        )
      assert.strictEqual(count[0]?.n, 0)
    }).pipe(Effect.scoped))
})
