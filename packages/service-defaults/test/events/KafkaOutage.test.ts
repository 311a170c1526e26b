import { assert, describe, it } from "@effect/vitest"
import { topicOf } from "@shop/domain/EventEnvelope"
import { OrderId } from "@shop/domain/Ids"
import * as KafkaMockCluster from "@shop/kafka-mock"
import { Duration, Effect, Fiber, Layer, Ref } from "effect"
import { SqlClient } from "effect/sql"
import { type DeliveredEvent, EventBus } from "../../src/events/EventBus.ts"
import * as KafkaEventBus from "../../src/events/KafkaEventBus.ts"
import { runOutboxRelay } from "../../src/events/OutboxRelay.ts"
import { eventually } from "./EventBusContract.ts"
import { insertCancellations, OutboxDatabase } from "./OutboxFixture.ts"

const rounds = <A>(
  count: number,
  round: (i: number) => Effect.Effect<ReadonlyArray<A>, unknown, SqlClient.SqlClient>
) => Effect.map(Effect.forEach(Array.from({ length: count }, (_, i) => i), round), (all) => all.flat())

// Skipped only off CI on a machine without gcc or librdkafka-dev, the reason in the title; under CI=true
// `unavailable()` is always undefined, so a missing library fails the test instead.
const unavailable = KafkaMockCluster.unavailable()

describe.skipIf(unavailable !== undefined)(
  `Kafka transport through a broker outage${unavailable ? `: ${unavailable}` : ""}`,
  () => {
    it.live(
      "loses no outbox event while every broker is down: rows stay pending and are retried, the consumer resumes",
      () =>
        Effect.gen(function*() {
          const cluster = yield* KafkaMockCluster.make(3)
          // A short delivery timeout so that a publish fails within seconds of the outage instead of the default 30 s;
          // the client's connection errors are expected here and would only bury the test's output.
          const bus = KafkaEventBus.layerConfig({
            clientId: "outage",
            brokers: [...cluster.brokers],
            deliveryTimeout: Duration.seconds(3),
            logLevel: "nothing",
            timings: KafkaMockCluster.testTimings
          })
          yield* Effect.gen(function*() {
            const sql = yield* SqlClient.SqlClient
            const delivered = yield* Ref.make<Array<DeliveredEvent>>([])
            yield* Effect.forkScoped((yield* EventBus).subscribe({
              group: "notification",
              topics: [topicOf("order.cancelled")],
              handler: (event) => Ref.update(delivered, (all) => [...all, event])
            }))
            yield* Effect.forkScoped(runOutboxRelay({ batchSize: 25, pollInterval: "50 millis" }))
            const orders = yield* Effect.forEach(Array.from({ length: 8 }), () => OrderId.generate)
            const deliveredIds = Effect.map(Ref.get(delivered), (all) => new Set(all.map((e) => e.eventId)))

            const before = yield* rounds(5, (i) => insertCancellations(orders, `before ${i}`))
            yield* eventually(deliveredIds, (ids) => before.every((id) => ids.has(id)), "60 seconds")

            // Orders keep coming in while the cluster fails: every broker down, then one broker (the partitions it leads).
            const writer = yield* Effect.forkChild(
              rounds(40, (i) => Effect.andThen(Effect.sleep("100 millis"), insertCancellations(orders, `during ${i}`)))
            )
            yield* cluster.down(-1)
            const failing = yield* eventually(
              sql<{ pending: number; failed: number }>`
              SELECT count(*) FILTER (WHERE published_at IS NULL)::int AS pending,
                     count(*) FILTER (WHERE published_at IS NULL AND attempts > 0 AND last_error IS NOT NULL)::int AS failed
              FROM outbox`.pipe(Effect.orDie),
              (rows) => (rows[0]?.failed ?? 0) > 0,
              "60 seconds"
            )
            assert.isAbove(failing[0]!.pending, 0, "the outage leaves rows pending instead of marking them published")
            yield* Effect.sleep("2 seconds")
            yield* cluster.up(-1)
            yield* cluster.down(1)
            yield* Effect.sleep("2 seconds")
            yield* cluster.up(1)
            const during = yield* Fiber.join(writer)

            const after = yield* rounds(5, (i) => insertCancellations(orders, `after ${i}`))
            const published = [...before, ...during, ...after]
            const seen = yield* eventually(
              Ref.get(delivered),
              (all) => {
                const ids = new Set(all.map((e) => e.eventId))
                return published.every((id) => ids.has(id))
              },
              "120 seconds"
            )
            const seenIds = new Set(seen.map((e) => e.eventId))
            const lost = published.filter((id) => !seenIds.has(id)).length
            const duplicated = seen.length - seenIds.size
            yield* Effect.logInfo(
              `broker outage: published=${published.length} lost=${lost} duplicated-before-dedup=${duplicated}`
            )
            assert.strictEqual(lost, 0)

            // Per order, first deliveries come in outbox order, outage or not.
            const rows = yield* sql<{ eventId: string; aggregateId: string }>`
            SELECT event_id AS "eventId", aggregate_id AS "aggregateId" FROM outbox ORDER BY seq`.pipe(Effect.orDie)
            for (const orderId of orders) {
              const firstDeliveries = [...new Set(seen.filter((e) => e.key === orderId).map((e) => e.eventId))]
              assert.deepStrictEqual(
                firstDeliveries,
                rows.filter((r) => r.aggregateId === orderId).map((r) => r.eventId)
              )
            }
            // Every row ends up marked published. Not at once: a publish the broker took but whose acknowledgement the
            // outage swallowed is delivered, yet its rows stay pending until the relay's backoff (up to 10 s) retries.
            const unpublished = yield* eventually(
              sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`.pipe(Effect.orDie),
              (counted) => counted[0]?.n === 0,
              "60 seconds"
            )
            assert.strictEqual(unpublished[0]!.n, 0)
          }).pipe(Effect.provide(Layer.merge(OutboxDatabase, bus)))
        }).pipe(Effect.scoped),
      240_000
    )
  }
)
