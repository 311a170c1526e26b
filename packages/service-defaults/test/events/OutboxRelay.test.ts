import { assert, describe, it } from "@effect/vitest"
import { topicOf } from "@shop/domain/EventEnvelope"
import { decodeEventJson } from "@shop/domain/Events"
import { OrderId } from "@shop/domain/Ids"
import { Deferred, Effect, Fiber, Layer, Metric, Ref, type Scope } from "effect"
import { SqlClient } from "effect/sql"
import { EventBus, EventBusError, type EventRecord } from "../../src/events/EventBus.ts"
import { outboxRelayRounds } from "../../src/events/EventMetrics.ts"
import { runOutboxRelay } from "../../src/events/OutboxRelay.ts"
import { OutboxWakeUp } from "../../src/events/OutboxWakeUp.ts"
import { eventually } from "./EventBusContract.ts"
import { insertCancellations, OutboxDatabase, traceparent } from "./OutboxFixture.ts"

/** How many of the relay's rounds found nothing, in this process so far. */
const idleRounds = Effect.map(
  Metric.value(Metric.withAttributes(outboxRelayRounds, { outcome: "idle" })),
  (state) => state.count
)

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

/**
 * The aggregate `held` has two rows, the first held by `hold` (another relay's), and `free` has one. A relay
 * publishes `free`'s row but neither of `held`'s while the hold lasts; once it ended (by the effect `hold` returns,
 * or by itself) the relay publishes both in order, and leaves every row published with no lease behind.
 */
const heldAggregateWaits = <E, E2>(
  hold: (firstEventId: string) => Effect.Effect<Effect.Effect<void, E2>, E, SqlClient.SqlClient | Scope.Scope>
) =>
  Effect.gen(function*() {
    const stored = yield* Ref.make<Array<EventRecord>>([])
    return yield* Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const held = yield* OrderId.generate
      const free = yield* OrderId.generate
      const [first] = yield* insertCancellations([held], "first")
      const [second] = yield* insertCancellations([held, free], "second")
      const release = yield* hold(first!)
      const relay = yield* Effect.forkChild(
        runOutboxRelay({ batchSize: 10, pollInterval: "20 millis" })
      )
      yield* eventually(Ref.get(stored), (s) => s.some((record) => record.key === free))
      yield* Effect.sleep("500 millis") // more rounds, each of which claims the aggregate's second row
      assert.notInclude(
        (yield* Ref.get(stored)).map((record) => record.key),
        held,
        "neither the held row nor the one after it is published while the hold lasts"
      )
      yield* release
      const published = yield* eventually(
        Ref.get(stored),
        (s) => s.filter((record) => record.key === held).length === 2
      )
      assert.deepStrictEqual(
        published.filter((record) => record.key === held).map((record) => record.eventId),
        [first, second]
      )
      // The relay marks a batch published after the transport acknowledged it: waited for, not read at once.
      const rows = yield* eventually(
        sql<{ pending: number }>`
          SELECT count(*)::int AS pending FROM outbox WHERE published_at IS NULL OR leased_until IS NOT NULL`
          .pipe(Effect.orDie),
        (counted) => counted[0]?.pending === 0
      )
      assert.strictEqual(rows[0]!.pending, 0, "every row published, no lease left behind")
      yield* Fiber.interrupt(relay)
    }).pipe(Effect.scoped, Effect.provide(Layer.merge(OutboxDatabase, FlakyBus(0, stored))))
  })

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
            () => Effect.forkChild(runOutboxRelay({ batchSize: 7, pollInterval: "20 millis" }))
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
      heldAggregateWaits((first) =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const locked = yield* Deferred.make<void>()
          const release = yield* Deferred.make<void>()
          // Another relay's transaction holds the first row (the relay's claim skips it, SKIP LOCKED).
          const other = yield* Effect.forkChild(sql.withTransaction(Effect.gen(function*() {
            yield* sql`SELECT seq FROM outbox WHERE event_id = ${first} FOR UPDATE`
            yield* Deferred.succeed(locked, undefined)
            yield* Deferred.await(release)
          })))
          yield* Deferred.await(locked)
          // Whatever the assertions say, the other transaction ends with the test.
          yield* Effect.addFinalizer(() => Deferred.succeed(release, undefined))
          return Effect.andThen(Deferred.succeed(release, undefined), Fiber.join(other))
        })
      ),
    60_000
  )

  it.live(
    "leaves rows another relay leased, with their aggregate's later rows, and takes them over once the lease ran out",
    () =>
      heldAggregateWaits((first) =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          // A relay that died mid-publish: its lease on the first row runs for another 3 s, then ends by itself.
          yield* sql`UPDATE outbox SET leased_until = now() + interval '3 seconds' WHERE event_id = ${first}`
          return Effect.void
        })
      ),
    60_000
  )

  it.live(
    "gives up a publish the transport does not answer within half the lease, and one it was stopped in, at once",
    () =>
      Effect.gen(function*() {
        const stored = yield* Ref.make<Array<EventRecord>>([])
        const calls = yield* Ref.make(0)
        const started = yield* Deferred.make<void>()
        // The first publish never answers; the second is interrupted with its relay; the rest are acknowledged.
        const HangingBus = Layer.succeed(
          EventBus,
          EventBus.of({
            publish: (records) =>
              Effect.gen(function*() {
                const call = yield* Ref.getAndUpdate(calls, (n) => n + 1)
                if (call === 0) return yield* Effect.never
                if (call === 1) {
                  yield* Deferred.succeed(started, undefined)
                  return yield* Effect.never
                }
                yield* Ref.update(stored, (all) => [...all, ...records])
              }),
            subscribe: () => Effect.die(new Error("unused")).pipe(Effect.andThen(Effect.never))
          })
        )
        return yield* Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const orders = yield* Effect.forEach([1, 2], () => OrderId.generate)
          yield* insertCancellations(orders, "hanging")
          // Its first publish times out after 300 ms (half the lease), its second is stopped with it; expiry alone would
          // leave `leased_until` set.
          const stuck = yield* Effect.forkChild(
            runOutboxRelay({ batchSize: 10, pollInterval: "20 millis", lease: "600 millis" })
          )
          yield* Deferred.await(started).pipe(Effect.timeout("20 seconds"))
          yield* Fiber.interrupt(stuck)
          const given = yield* sql<{ last_error: string | null; leased: boolean; attempts: number }>`
            SELECT last_error, leased_until IS NOT NULL AS leased, attempts FROM outbox ORDER BY seq`
          assert.isTrue(given.every((row) => !row.leased), "the stopped relay handed its rows back")
          assert.isTrue(given.every((row) => row.attempts === 2), "a timed-out attempt, then a stopped one")
          assert.isTrue(given.every((row) => row.last_error === "relay stopped during the publish"))
          const relay = yield* Effect.forkChild(
            runOutboxRelay({ batchSize: 10, pollInterval: "20 millis", lease: "10 minutes" })
          )
          const published = yield* eventually(Ref.get(stored), (s) => s.length === 2)
          assert.sameMembers(published.map((record) => record.key), orders)
          yield* Fiber.interrupt(relay)
        }).pipe(Effect.scoped, Effect.provide(Layer.merge(OutboxDatabase, HangingBus)))
      }),
    60_000
  )
  it.live(
    "runs one round for the wake-ups of many transactions that committed while it was publishing",
    () =>
      Effect.gen(function*() {
        const stored = yield* Ref.make<Array<EventRecord>>([])
        const entered = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        // The first publish waits until released, while the test commits rows one transaction (one signal) at a time.
        const HeldBus = Layer.succeed(
          EventBus,
          EventBus.of({
            publish: (records) =>
              Effect.gen(function*() {
                if (yield* Deferred.succeed(entered, undefined)) yield* Deferred.await(release)
                yield* Ref.update(stored, (all) => [...all, ...records])
              }),
            subscribe: () => Effect.die(new Error("unused")).pipe(Effect.andThen(Effect.never))
          })
        )
        return yield* Effect.gen(function*() {
          const wakeUp = yield* OutboxWakeUp
          // As the order service's writers do: a signal after each committed write.
          const write = (orders: ReadonlyArray<OrderId>, reason: string) =>
            Effect.tap(insertCancellations(orders, reason), () => wakeUp.signal)
          const orders = yield* Effect.forEach(Array.from({ length: 31 }), () => OrderId.generate)
          // A poll far slower than the test: every round after the first comes from a signal. Scoped, so that the
          // relay stops before its database goes, also when an assertion fails.
          const relay = yield* Effect.forkScoped(runOutboxRelay({ batchSize: 100, pollInterval: "1 minute" }))
          yield* write(orders.slice(0, 1), "first")
          yield* Deferred.await(entered).pipe(Effect.timeout("20 seconds"))
          const before = yield* idleRounds
          for (const order of orders.slice(1)) yield* write([order], "queued")
          yield* Deferred.succeed(release, undefined)
          yield* eventually(Ref.get(stored), (s) => s.length === orders.length)
          yield* Effect.sleep("300 millis")
          const wasted = (yield* idleRounds) - before
          assert.isAtMost(wasted, 2, `${wasted} rounds found nothing after 30 signals`)
          yield* Fiber.interrupt(relay)
        }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(OutboxDatabase, HeldBus, OutboxWakeUp.layer)))
      }),
    60_000
  )

  it.live(
    "is woken by its process's writers at once, and without a signal waits for its poll",
    () =>
      Effect.gen(function*() {
        const stored = yield* Ref.make<Array<EventRecord>>([])
        return yield* Effect.gen(function*() {
          const wakeUp = yield* OutboxWakeUp
          const before = yield* idleRounds
          const relay = yield* Effect.forkScoped(runOutboxRelay({ batchSize: 10, pollInterval: "1 minute" }))
          // The relay's first round found nothing (waited for, not assumed after a pause): it now waits for a minute.
          yield* eventually(idleRounds, (count) => count > before)
          const unsignalled = yield* OrderId.generate
          const signalled = yield* OrderId.generate
          yield* insertCancellations([unsignalled], "written by another process")
          yield* Effect.sleep("1 second")
          assert.lengthOf(yield* Ref.get(stored), 0, "nothing woke the relay: the row waits for the poll")
          yield* insertCancellations([signalled], "written here")
          yield* wakeUp.signal
          const published = yield* eventually(Ref.get(stored), (s) => s.length === 2, "5 seconds")
          // one round took both: the one before the poll's and the one signalled
          assert.deepStrictEqual(published.map((record) => record.key), [unsignalled, signalled])
          yield* Fiber.interrupt(relay)
        }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(OutboxDatabase, FlakyBus(0, stored), OutboxWakeUp.layer)))
      }),
    60_000
  )
})
