import { PgClient } from "@effect/sql-pg"
import { Config, Duration, Effect, Layer, Redacted, Schedule } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import { HealthChecks } from "./HealthChecks.ts"
import { keepTableStatistics } from "./TableStatistics.ts"

/** A service's migrations: `"0001_create_products": effect`, applied in id order, each once. */
export type Migrations = Record<string, Effect.Effect<unknown, unknown, SqlClient.SqlClient>>

/** `DATABASE_URL` of the service; every service owns its own database. */
export const DatabaseUrl = (defaultDatabase: string) =>
  Config.Redacted("DATABASE_URL").pipe(
    Config.withDefault(Redacted.make(`postgres://postgres@127.0.0.1:5432/${defaultDatabase}`))
  )

const runMigrations = Migrator.make({})

/**
 * Waits until the server at `url` answers a query, for at most `DATABASE_CONNECT_TIMEOUT` (30 s): a service started
 * together with its database (npm start, a pod next to a database that is still starting) waits for it instead of
 * failing, exiting and being restarted.
 */
export const waitForDatabase = (url: Redacted.Redacted) =>
  Effect.gen(function*() {
    const timeout = yield* Config.Duration("DATABASE_CONNECT_TIMEOUT").pipe(Config.withDefault(Duration.seconds(30)))
    const probe = SqlClient.SqlClient.use((sql) => sql`SELECT 1`).pipe(
      Effect.provide(PgClient.layer({ url, maxConnections: 1 }))
    )
    let logged = false
    yield* probe.pipe(
      Effect.tapError(() =>
        logged ? Effect.void : Effect.sync(() => (logged = true)).pipe(
          Effect.andThen(Effect.logInfo("waiting for the database", new URL(Redacted.value(url)).host))
        )
      ),
      Effect.retry(Schedule.spaced("200 millis").pipe(Schedule.upTo({ duration: timeout })))
    )
  })

/** The `postgres` database of the server of `url`: where a database that does not exist yet is created. */
const serverOf = (url: Redacted.Redacted) => {
  const admin = new URL(Redacted.value(url))
  admin.pathname = "/postgres"
  return Redacted.make(admin.toString())
}

/**
 * Creates the service's database when it does not exist yet, so a fresh PostgreSQL server needs no manual setup.
 * It connects to the server's `postgres` database to do so; on a server where the role may not create databases,
 * the service's database has to exist already (`DATABASE_AUTO_CREATE=false`).
 */
export const ensureDatabase = (url: Redacted.Redacted) =>
  Effect.gen(function*() {
    const target = new URL(Redacted.value(url))
    const name = decodeURIComponent(target.pathname.slice(1))
    if (name === "" || name === "postgres") return
    const admin = new URL(target)
    admin.pathname = "/postgres"
    yield* Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const rows = yield* sql`SELECT 1 FROM pg_database WHERE datname = ${name}`
      if (rows.length === 0) {
        yield* sql.unsafe(`CREATE DATABASE "${name.replaceAll("\"", "\"\"")}"`).pipe(
          Effect.catchReason("SqlError", "UniqueViolation", () => Effect.void) // created concurrently by a replica
        )
        yield* Effect.logInfo("created database", name)
      }
    }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(admin.toString()), maxConnections: 1 })))
  })

/**
 * Waits for the server, then creates the database when `autoCreate` and it is missing. Without `autoCreate` the role
 * may have no access to the server's `postgres` database, so it waits for the database itself.
 */
export const prepareDatabase = (url: Redacted.Redacted, autoCreate: boolean) =>
  autoCreate ? Effect.andThen(waitForDatabase(serverOf(url)), ensureDatabase(url)) : waitForDatabase(url)

/**
 * The service's PostgreSQL client (`SqlClient` and `PgClient`), with its migrations applied before anything else
 * starts and a readiness check registered. The same layer serves a real server and the embedded PGlite one: only
 * `DATABASE_URL` differs.
 */
export const DatabaseLive = (options: { readonly database: string; readonly migrations: Migrations }) =>
  Layer.unwrap(Effect.gen(function*() {
    const url = yield* DatabaseUrl(options.database)
    const maxConnections = yield* Config.Int("DATABASE_POOL_MAX").pipe(Config.withDefault(10))
    // Statements of different requests pipelined on shared connections: a fifth fewer system calls and wake-ups per
    // order at 64 in flight. Transactions and listeners still take a connection of their own.
    const multiplex = yield* Config.Boolean("DATABASE_MULTIPLEX").pipe(Config.withDefault(true))
    const autoCreate = yield* Config.Boolean("DATABASE_AUTO_CREATE").pipe(Config.withDefault(true))
    yield* prepareDatabase(url, autoCreate)
    const client = PgClient.layer({
      url,
      maxConnections,
      multiplex,
      applicationName: options.database,
      spanAttributes: { "db.system.name": "postgresql", "db.namespace": options.database }
    })
    const setup = Effect.gen(function*() {
      const applied = yield* runMigrations({ loader: Migrator.fromRecord(options.migrations) })
      for (const [id, name] of applied) yield* Effect.logInfo("applied migration", `${id}_${name}`)
      const sql = yield* SqlClient.SqlClient
      yield* (yield* HealthChecks).register("postgres", sql`SELECT 1`)
      yield* keepTableStatistics
    })
    return Layer.effectDiscard(setup).pipe(Layer.provideMerge(client))
  }))
