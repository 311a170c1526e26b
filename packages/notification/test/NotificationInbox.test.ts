import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { NotificationInbox } from "../src/NotificationInbox.ts"
import { confirmedRecord, countWritesOfNotifications, delivered, NotificationTest } from "./fixtures.ts"

describe("NotificationInbox", () => {
  it.live(
    "records the events handled at once in shared statements, each with its own outcome",
    () =>
      Effect.gen(function*() {
        const inbox = yield* NotificationInbox
        const sql = yield* SqlClient.SqlClient
        const earlier = yield* confirmedRecord("user_batch")
        assert.strictEqual(yield* inbox.handle(delivered(earlier.record)), "recorded")
        // The first statement that records notifications takes 500 ms: the events handled beside it wait meanwhile.
        const recordings = yield* countWritesOfNotifications("INSERT", "true")
        const fresh = yield* Effect.forEach(Array.from({ length: 8 }), () => confirmedRecord("user_batch"))
        // Eight new events and one delivered again, handled at once as a consumer handles different orders' events.
        const outcomes = yield* Effect.forEach(
          [...fresh.map(({ record }) => record), earlier.record],
          (record) => inbox.handle(delivered(record)),
          { concurrency: "unbounded" }
        )
        assert.deepStrictEqual(outcomes, [...Array.from({ length: 8 }, () => "recorded"), "duplicate"])
        const recorded = yield* recordings
        assert.strictEqual(recorded.reduce((sum, n) => sum + n, 0), 8)
        // The first alone, the seven that waited together: one statement per event would be eight.
        assert.isTrue(recorded.some((n) => n > 1), JSON.stringify(recorded))
        const rows = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM notifications`
        assert.strictEqual(rows[0]?.n, 9)
        const inboxed = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM inbox`
        assert.strictEqual(inboxed[0]?.n, 9)
      }).pipe(Effect.provide(NotificationTest())),
    120_000
  )
})
