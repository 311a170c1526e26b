import { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Fiber, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { spawn } from "node:child_process"
import { startEmbeddedPostgres } from "../src/EmbeddedPostgres.ts"

/**
 * The embedded PostgreSQL is one PGlite session shared by every client (several services' pools on the event log,
 * the benches' consumers). These tests attack the sharing: many clients interleaving extended-query exchanges and
 * transactions, a client dying in the middle of a transaction, a client leaving a transaction idle.
 */
const clientOn = (url: string) =>
  Layer.build(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })).pipe(
    Effect.map((context) => Context.get(context, SqlClient.SqlClient))
  )

describe("embedded PostgreSQL shared by many clients", () => {
  it.live("never mixes up two clients' statements, parameters or transactions", () =>
    Effect.gen(function*() {
      const pg = yield* startEmbeddedPostgres({ dataDir: undefined })
      const setup = yield* clientOn(pg.url)
      yield* setup`CREATE TABLE counters (client int PRIMARY KEY, value int NOT NULL)`
      const clients = yield* Effect.forEach([1, 2, 3, 4, 5, 6], () => clientOn(pg.url))
      yield* Effect.forEach(clients, (sql, c) =>
        Effect.gen(function*() {
          yield* sql`INSERT INTO counters VALUES (${c}, 0)`
          for (let i = 0; i < 40; i++) {
            // a parameterised query whose answer tells whose parameters were bound to whose statement
            const [echo] = yield* sql<{ readonly c: number; readonly i: number }>`SELECT ${c}::int AS c, ${i}::int AS i`
            assert.deepStrictEqual(echo, { c, i })
            // a transaction of several round trips that reads its own write back
            yield* sql.withTransaction(Effect.gen(function*() {
              yield* sql`UPDATE counters SET value = value + 1 WHERE client = ${c}`
              const [row] = yield* sql<{ readonly value: number }>`SELECT value FROM counters WHERE client = ${c}`
              assert.strictEqual(row!.value, i + 1)
            }))
          }
        }), { concurrency: "unbounded", discard: true })
      const rows = yield* setup<{ readonly value: number }>`SELECT value FROM counters ORDER BY client`
      assert.deepStrictEqual(rows.map((r) => r.value), [40, 40, 40, 40, 40, 40])
    }).pipe(Effect.scoped))

  it.live("rolls back the transaction of a client killed inside it, and lets the others go on", () =>
    Effect.gen(function*() {
      const pg = yield* startEmbeddedPostgres({ dataDir: undefined })
      const other = yield* clientOn(pg.url)
      yield* other`CREATE TABLE items (id int PRIMARY KEY)`
      // another process opens a transaction, writes, says so, and waits to be killed with -9 before its COMMIT
      const script = `
        import { PgClient } from "@effect/sql-pg"
        import { Effect, Redacted } from "effect"
        import { SqlClient } from "effect/sql"
        const program = Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          yield* sql.withTransaction(Effect.gen(function*() {
            yield* sql\`INSERT INTO items VALUES (1)\`
            console.log("inside")
            yield* Effect.never
          }))
        })
        Effect.runPromise(program.pipe(Effect.provide(PgClient.layer({ url: Redacted.make("${pg.url}") }))))`
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
        stdio: ["ignore", "pipe", "inherit"]
      })
      yield* Effect.promise(() => new Promise((resolve) => child.stdout.once("data", resolve)))
      // while it holds its transaction the others wait; its death ends the wait
      const insert = yield* Effect.forkChild(other`INSERT INTO items VALUES (2)`)
      yield* Effect.sleep("300 millis")
      assert.isUndefined(insert.pollUnsafe(), "the session belongs to the open transaction")
      child.kill("SIGKILL")
      yield* Fiber.join(insert)
      const rows = yield* other<{ readonly id: number }>`SELECT id FROM items ORDER BY id`
      assert.deepStrictEqual(rows.map((r) => r.id), [2], "the killed client's write was rolled back")
    }).pipe(Effect.scoped))
})
