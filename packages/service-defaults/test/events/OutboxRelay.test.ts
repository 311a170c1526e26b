import { assert, describe, it } from "@effect/vitest"
import { topicOf } from "@shop/domain/EventEnvelope"
import { decodeEventJson } from "@shop/domain/Events"
import { OrderId } from "@shop/domain/Ids"
import { Deferred, Effect, Fiber, Layer, Ref } from "effect"
import { SqlClient } from "effect/sql"
import { EventBus, EventBusError, type EventRecord } from "../../src/events/EventBus.ts"
import { runOutboxRelay } from "../../src/events/OutboxRelay.ts"
import { eventually } from "./EventBusContract.ts"
import { insertCancellations, OutboxDatabase, traceparent } from "./OutboxFixture.ts"

/** A transport that stores what it acknowledged and refuses the first `failures` batches. */
const FlakyBus = (failures: number, stored: Ref.Ref<Array<EventRecord>>) =>
  Layer.effect(
    EventBus,
    Effect.gen(function*() {
      const refused = yield* Ref.make(0)
      return EventBus.of({
        publish: (records) =>
          Effect.gen(function*() {
            if ((yield* Ref.getAndUpdate(refused, (n) => n + 1)) < failures) {
              return yield* new EventBusError({ operation: "publish", cause: new Error("broker unavailable") })
            }
            yield* Ref.update(stored, (all) => [...all, ...records])
          }),
        subscribe: () => Effect.die(new Error("unused")).pipe(Effect.andThen(Effect.never))
      })
    })
  )

describe("OutboxRelay", () => {
  it.live(
    "publishes every row once acknowledged, in per-aggregate order, retrying failures without dropping",
    () =>
      Effect.gen(function*() {
        const stored = yield* Ref.make<Array<EventRecord>>([])
        return yield* Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const orders = yield* Effect.forEach([1, 2, 3], () => OrderId.generate)
          for (let i = 0; i < 20; i++) yield* insertCancellations(orders, `r${i}`)
          const relays = yield* Effect.forEach(
            [1, 2],
            () => Effect.forkChild(runOutboxRelay({ batchSize: 7, pollInterval: "20 millis", listen: false }))
          )
          const published = yield* eventually(Ref.get(stored), (s) => s.length >= 60)
          yield* Effect.forEach(relays, Fiber.interrupt)

          const rows = yield* sql<
            { event_id: string; aggregate_id: string; published: boolean; attempts: number; last_error: string | null }
          >`
        SELECT event_id, aggregate_id, published_at IS NOT NULL AS published, attempts, last_error FROM outbox ORDER BY seq`
          assert.isTrue(rows.every((r) => r.published))
          assert.isTrue(rows.some((r) => r.attempts >= 2), "the refused batches were retried and counted")
          assert.isTrue(rows.every((r) => r.last_error === null))
          assert.strictEqual(new Set(published.map((p) => p.eventId)).size, 60)
          for (const orderId of orders) {
            assert.deepStrictEqual(
              published.filter((p) => p.key === orderId).map((p) => p.eventId),
              rows.filter((r) => r.aggregate_id === orderId).map((r) => r.event_id)
            )
          }
          const first = published[0]!
          assert.strictEqual(first.topic, topicOf("order.cancelled"))
          // The record travels in the row's trace, under the relay's publish span; the envelope keeps the context the
          // event was created in.
          const [, traceId, spanId] = traceparent.split("-")
          const [, publishedTraceId, publishSpanId] = (first.traceparent ?? "").split("-")
          assert.strictEqual(publishedTraceId, traceId)
          assert.notStrictEqual(publishSpanId, spanId)
          const decoded = yield* decodeEventJson(first.value)
          assert.strictEqual(decoded.type, "order.cancelled")
          assert.strictEqual(decoded.eventId, first.eventId)
          assert.strictEqual(decoded.traceparent, traceparent)
        }).pipe(Effect.provide(Layer.merge(OutboxDatabase, FlakyBus(3, stored))))
      }),
    120_000
  )

  it.live(
    "leaves an aggregate whose earlier row another relay holds, and publishes it in order once that row is free",
    () =>
      Effect.gen(function*() {
        const stored = yield* Ref.make<Array<EventRecord>>([])
        return yield* Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const held = yield* OrderId.generate
          const free = yield* OrderId.generate
          const [first] = yield* insertCancellations([held], "first")
          const [second] = yield* insertCancellations([held, free], "second")
          const locked = yield* Deferred.make<void>()
          const release = yield* Deferred.make<void>()
          // Another relay's transaction holds the aggregate's first row (the relay's claim skips it, SKIP LOCKED).
          const other = yield* Effect.forkChild(sql.withTransaction(Effect.gen(function*() {
            yield* sql`SELECT seq FROM outbox WHERE event_id = ${first!} FOR UPDATE`
            yield* Deferred.succeed(locked, undefined)
            yield* Deferred.await(release)
          })))
          yield* Deferred.await(locked)
          // Whatever the assertions say, the other transaction ends with the test.
          yield* Effect.addFinalizer(() => Deferred.succeed(release, undefined))
          const relay = yield* Effect.forkChild(
            runOutboxRelay({ batchSize: 10, pollInterval: "20 millis", listen: false })
          )
          yield* eventually(Ref.get(stored), (s) => s.some((record) => record.key === free))
          yield* Effect.sleep("300 millis") // more rounds, each of which claims the aggregate's second row
          const keys = (yield* Ref.get(stored)).map((record) => record.key)
          assert.notInclude(keys, held, "the second row must not overtake the first")
          yield* Deferred.succeed(release, undefined)
          yield* Fiber.join(other)
          const published = yield* eventually(
            Ref.get(stored),
            (s) => s.filter((record) => record.key === held).length === 2
          )
          assert.deepStrictEqual(
            published.filter((record) => record.key === held).map((record) => record.eventId),
            [first, second]
          )
          yield* Fiber.interrupt(relay)
        }).pipe(Effect.scoped, Effect.provide(Layer.merge(OutboxDatabase, FlakyBus(0, stored))))
      }),
    60_000
  )
})
