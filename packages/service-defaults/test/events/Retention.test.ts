import { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { OrderId } from "@shop/domain/Ids"
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { migrateEventLog } from "../../src/events/EventLogMigrations.ts"
import { pruneEventLog, pruneInbox, pruneOutbox } from "../../src/events/Retention.ts"
import { acquireTestDatabase } from "../../testing/TestDatabase.ts"
import { insertCancellations, OutboxDatabase } from "./OutboxFixture.ts"

const EventLogDatabase = Layer.unwrap(
  Effect.map(
    acquireTestDatabase("retention_events"),
    ({ maxConnections, url }) =>
      Layer.effectDiscard(migrateEventLog).pipe(
        Layer.provideMerge(PgClient.layer({ url: Redacted.make(url), maxConnections }))
      )
  )
)

const remaining = (table: string) =>
  SqlClient.SqlClient.use((sql) => sql<{ seq: string }>`SELECT seq::text AS seq FROM ${sql(table)} ORDER BY seq`)
    .pipe(Effect.map((rows) => rows.map((r) => Number(r.seq))))

describe("retention", () => {
  it.effect("deletes outbox rows published long enough ago, in batches, and never an unpublished one", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const orders = yield* Effect.forEach(Array.from({ length: 8 }), () => OrderId.generate)
      yield* insertCancellations(orders, "retention")
      // seq 1-5 published 8 days ago, 6 published an hour ago, 7-8 never published (and written 30 days ago).
      yield* sql`UPDATE outbox SET published_at = now() - interval '8 days' WHERE seq <= 5`
      yield* sql`UPDATE outbox SET published_at = now() - interval '1 hour' WHERE seq = 6`
      yield* sql`UPDATE outbox SET occurred_at = now() - interval '30 days' WHERE seq >= 7`

      const deleted = yield* pruneOutbox({ keep: "7 days", batchSize: 2 })
      assert.strictEqual(deleted, 5)
      assert.deepStrictEqual(yield* remaining("outbox"), [6, 7, 8])
      assert.strictEqual(yield* pruneOutbox({ keep: "7 days", batchSize: 2 }), 0)
    }).pipe(Effect.provide(OutboxDatabase)))

  it.effect("deletes old events only once every consumer group has committed them", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      for (let i = 1; i <= 6; i++) {
        yield* sql`INSERT INTO event_log (event_id, topic, key, type, version, value, stored_at)
          VALUES (${`evt_${i}`}, 'shop.orders', 'ord_1', 'order.confirmed', 1, '{}',
            now() - make_interval(days => ${i <= 5 ? 8 : 0}))`
      }
      assert.strictEqual(yield* pruneEventLog({ keep: "7 days" }), 0, "no group yet: nothing is known consumed")

      yield* sql`INSERT INTO event_log_offsets (group_id, committed_seq) VALUES ('notification', 4), ('audit', 2)`
      assert.strictEqual(yield* pruneEventLog({ keep: "7 days" }), 2)
      assert.deepStrictEqual(yield* remaining("event_log"), [3, 4, 5, 6])

      yield* sql`UPDATE event_log_offsets SET committed_seq = 6`
      assert.strictEqual(yield* pruneEventLog({ keep: "7 days", batchSize: 2 }), 3)
      assert.deepStrictEqual(yield* remaining("event_log"), [6], "a consumed event younger than the retention stays")
    }).pipe(Effect.provide(EventLogDatabase)))

  it.effect("forgets inbox entries processed long enough ago", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE inbox (event_id text PRIMARY KEY, type text NOT NULL, processed_at timestamptz NOT NULL)`
      yield* sql`INSERT INTO inbox VALUES ('evt_old_1', 'order.confirmed', now() - interval '31 days'),
        ('evt_old_2', 'order.confirmed', now() - interval '40 days'), ('evt_new', 'order.confirmed', now())`
      assert.strictEqual(yield* pruneInbox({ keep: "30 days", batchSize: 1 }), 2)
      const left = yield* sql<{ eventId: string }>`SELECT event_id AS "eventId" FROM inbox`
      assert.deepStrictEqual(left.map((r) => r.eventId), ["evt_new"])
    }).pipe(Effect.provide(EventLogDatabase)))
})
