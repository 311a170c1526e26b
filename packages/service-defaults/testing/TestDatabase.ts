import { PgClient } from "@effect/sql-pg"
import { Config, Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { randomBytes } from "node:crypto"
import { startEmbeddedPostgres } from "../src/EmbeddedPostgres.ts"

/**
 * Where storage tests run. With `TEST_DATABASE_URL` (CI sets it) every test database is a fresh database on that
 * real PostgreSQL server, dropped afterwards. Without it, an in-process PGlite. Under `CI=true` a missing URL is an
 * error: CI must prove the adapters against the real server, never silently fall back.
 */
export const testDatabaseUrl = Effect.gen(function*() {
  const url = yield* Config.String("TEST_DATABASE_URL").pipe(Config.option)
  const ci = yield* Config.Boolean("CI").pipe(Config.withDefault(false))
  if (url._tag === "None" && ci) {
    return yield* Effect.die(new Error("CI=true but TEST_DATABASE_URL is not set: storage tests need real PostgreSQL"))
  }
  return url._tag === "Some" ? url.value : undefined
})

/** A scoped, empty database; returns its URL and the pool size its clients must use. */
export const acquireTestDatabase = (label: string) =>
  Effect.gen(function*() {
    const serverUrl = yield* testDatabaseUrl
    if (serverUrl === undefined) {
      const pg = yield* startEmbeddedPostgres({ dataDir: undefined })
      return { url: pg.url, maxConnections: 1, real: false } as const
    }
    const name = `test_${label.replace(/\W/g, "_").toLowerCase()}_${randomBytes(4).toString("hex")}`
    const admin = PgClient.layer({ url: Redacted.make(serverUrl), maxConnections: 1 })
    const run = (statement: string) =>
      SqlClient.SqlClient.use((sql) => sql.unsafe(statement)).pipe(
        Effect.provide(admin),
        Effect.orDie
      )
    yield* Effect.acquireRelease(
      run(`CREATE DATABASE "${name}"`),
      () => run(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    )
    const url = new URL(serverUrl)
    url.pathname = `/${name}`
    return { url: url.toString(), maxConnections: 10, real: true } as const
  })

/** `SqlClient` + `PgClient` on a fresh test database (see `acquireTestDatabase`). */
export const TestDatabaseLive = (label: string) =>
  Layer.unwrap(Effect.map(
    acquireTestDatabase(label),
    ({ maxConnections, url }) => PgClient.layer({ url: Redacted.make(url), maxConnections })
  ))

/** `SqlClient` on a database a test did not create itself (another process's), to check its rows from outside. */
export const DatabaseAt = (url: string) => PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })
