import { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import { migrateEventLog } from "../../src/events/EventLogMigrations.ts"
import { acquireTestDatabase } from "../../testing/TestDatabase.ts"

const Database = (label: string) =>
  Layer.unwrap(Effect.map(
    acquireTestDatabase(label),
    ({ maxConnections, url }) => PgClient.layer({ url: Redacted.make(url), maxConnections })
  ))

const tables = SqlClient.SqlClient.use((sql) =>
  sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = 'public' ORDER BY table_name`
).pipe(Effect.map((rows) => rows.map((r) => r.name)))

const applied = SqlClient.SqlClient.use((sql) =>
  sql<{ id: number; name: string }>`SELECT migration_id AS id, name FROM event_log_migrations ORDER BY migration_id`
)

describe("event log migrations", () => {
  it.effect("creates the event log's tables by versioned migrations, recorded apart from a service's own", () =>
    Effect.gen(function*() {
      // a service's migrations in the same database do not hide the log's
      yield* Migrator.make({})({ loader: Migrator.fromRecord({ "0001_service": Effect.void }) })
      assert.deepStrictEqual(yield* migrateEventLog, [[1, "create_event_log"], [2, "event_log_notify_trigger"]])
      assert.includeMembers(yield* tables, ["event_log", "event_log_migrations", "event_log_offsets"])
      assert.deepStrictEqual(yield* applied, [
        { id: 1, name: "create_event_log" },
        { id: 2, name: "event_log_notify_trigger" }
      ])
      // applied once: a second start (or a second process) finds nothing to do
      assert.deepStrictEqual(yield* migrateEventLog, [])
    }).pipe(Effect.provide(Database("event_log_migrations"))))

  it.effect("adopts event log tables created before the log had migrations, keeping their rows", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE event_log (seq bigserial PRIMARY KEY, event_id text NOT NULL UNIQUE, topic text NOT NULL,
        key text NOT NULL, type text NOT NULL, version integer NOT NULL, traceparent text, value text NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT now())`
      yield* sql`INSERT INTO event_log (event_id, topic, key, type, version, value)
        VALUES ('evt_1', 'shop.orders', 'ord_1', 'order.created', 1, '{}')`
      assert.deepStrictEqual(yield* migrateEventLog, [[1, "create_event_log"], [2, "event_log_notify_trigger"]])
      const rows = yield* sql<{ eventId: string }>`SELECT event_id AS "eventId" FROM event_log`
      assert.deepStrictEqual(rows.map((r) => r.eventId), ["evt_1"])
    }).pipe(Effect.provide(Database("event_log_adopt"))))
})
