import { assert, describe, it } from "@effect/vitest"
import { TestDatabaseLive } from "@shop/service-defaults/testing/TestDatabase"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { oneStatement } from "../src/OneStatement.ts"

const Database = TestDatabaseLive("one_statement").pipe(
  Layer.tap((context) =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE parents (id text PRIMARY KEY, key text NOT NULL UNIQUE)`
      yield* sql`CREATE TABLE children (parent_id text NOT NULL REFERENCES parents (id), note text NOT NULL)`
      yield* sql`CREATE TABLE claims (key text PRIMARY KEY)`
    }).pipe(Effect.provideContext(context), Effect.orDie)
  )
)

const count = (table: string) =>
  SqlClient.SqlClient.use((sql) => sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM ${sql(table)}`).pipe(
    Effect.map((rows) => rows[0]?.n ?? 0),
    Effect.orDie
  )

describe("oneStatement", () => {
  it.layer(Database)((test) => {
    test.effect("writes every statement, the child before its parent as well, and the last one too", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`INSERT INTO claims (key) VALUES ('k1')`
        yield* oneStatement(sql, [
          sql`INSERT INTO children (parent_id, note) VALUES ('p1', 'written first, checked at the end')`,
          sql`INSERT INTO parents (id, key) VALUES ('p1', 'k1')`,
          sql`DELETE FROM claims WHERE key = 'k1'`
        ])
        assert.strictEqual(yield* count("parents"), 1)
        assert.strictEqual(yield* count("children"), 1)
        assert.strictEqual(yield* count("claims"), 0)
      }))

    test.effect("writes nothing when one of them fails: a duplicate key is a UniqueViolation and the rest roll back", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`INSERT INTO parents (id, key) VALUES ('p0', 'taken')`
        yield* sql`INSERT INTO claims (key) VALUES ('k2')`
        const before = [yield* count("parents"), yield* count("children"), yield* count("claims")]
        const outcome = yield* oneStatement(sql, [
          // the writes that succeed come first: run one after the other, they would stay
          sql`DELETE FROM claims WHERE key = 'k2'`,
          sql`INSERT INTO children (parent_id, note) VALUES ('p0', 'must not stay')`,
          sql`INSERT INTO parents (id, key) VALUES ('p2', 'taken')`
        ]).pipe(
          Effect.as("written"),
          Effect.catchReason("SqlError", "UniqueViolation", () => Effect.succeed("unique violation"))
        )
        assert.strictEqual(outcome, "unique violation")
        assert.deepStrictEqual([yield* count("parents"), yield* count("children"), yield* count("claims")], before)
      }))
  })
})
