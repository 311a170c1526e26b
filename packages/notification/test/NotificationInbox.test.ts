import { assert, describe, it } from "@effect/vitest"
import type { DeliveredEvent } from "@shop/service-defaults/events/EventBus"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { NotificationInbox } from "../src/NotificationInbox.ts"
import { confirmedRecord, NotificationTest } from "./fixtures.ts"

const delivered = (record: Omit<DeliveredEvent, "position">): DeliveredEvent => ({ ...record, position: "1" })

describe("NotificationInbox", () => {
  it.live(
    "records the events handled at once in shared statements, each with its own outcome",
    () =>
      Effect.gen(function*() {
        const inbox = yield* NotificationInbox
        const sql = yield* SqlClient.SqlClient
        const earlier = yield* confirmedRecord("user_batch")
        assert.strictEqual(yield* inbox.handle(delivered(earlier.record)), "recorded")
        // Every statement that records notifications is counted; the first one takes 500 ms, so that the events
        // handled beside it wait and go together.
        yield* sql`CREATE TABLE record_statements (recorded int NOT NULL)`
        yield* sql`CREATE FUNCTION count_records() RETURNS trigger LANGUAGE plpgsql AS $$
          DECLARE recorded int;
          BEGIN
            SELECT count(*) INTO recorded FROM inserted;
            IF recorded > 0 THEN
              IF NOT EXISTS (SELECT 1 FROM record_statements) THEN PERFORM pg_sleep(0.5); END IF;
              INSERT INTO record_statements VALUES (recorded);
            END IF;
            RETURN NULL;
          END $$`
        yield* sql`CREATE TRIGGER count_records AFTER INSERT ON notifications REFERENCING NEW TABLE AS inserted
          FOR EACH STATEMENT EXECUTE FUNCTION count_records()`
        const fresh = yield* Effect.forEach(Array.from({ length: 8 }), () => confirmedRecord("user_batch"))
        // Eight new events and one delivered again, handled at once as a consumer handles different orders' events.
        const outcomes = yield* Effect.forEach(
          [...fresh.map(({ record }) => record), earlier.record],
          (record) => inbox.handle(delivered(record)),
          { concurrency: "unbounded" }
        )
        assert.deepStrictEqual(outcomes, [...Array.from({ length: 8 }, () => "recorded"), "duplicate"])
        const statements = yield* sql<{ recorded: number }>`SELECT recorded FROM record_statements`
        assert.strictEqual(statements.reduce((sum, row) => sum + row.recorded, 0), 8)
        // The first alone, the seven that waited together: one statement per event would be eight.
        assert.isTrue(statements.some((row) => row.recorded > 1), JSON.stringify(statements))
        const rows = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM notifications`
        assert.strictEqual(rows[0]?.n, 9)
        const inboxed = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM inbox`
        assert.strictEqual(inboxed[0]?.n, 9)
      }).pipe(Effect.provide(NotificationTest())),
    120_000
  )
})
