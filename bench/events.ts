/**
 * Event transport benchmark: the Kafka transport (`@confluentinc/kafka-javascript`, idempotent producer, acks=all)
 * on librdkafka's mock cluster, the way the outbox relay and the notification consumer use it.
 *
 *   npm run bench:events [-- --events 20000 --batch 200 --handler-ms 0 --max-seconds 120]
 *
 * Publishes --events events in batches of --batch, one batch at a time (the relay awaits each batch's
 * acknowledgement before the next), while one consumer group consumes them and commits per batch, as the
 * notification service does. Each event's handler waits --handler-ms first, as a handler's round trip to its
 * database would (the consumer handles the keys of a batch, and several partitions, at once). Prints publish
 * throughput, time until the last event was consumed, and the CPU of this process (producer and consumer both; the
 * mock cluster runs in a process of its own, not counted) per event.
 * Bounded by --events and --max-seconds; everything stays on loopback. Needs gcc and librdkafka-dev (the mock).
 */
import * as KafkaMockCluster from "@shop/kafka-mock"
import { EventBus, type EventRecord } from "@shop/service-defaults/events/EventBus"
import * as KafkaEventBus from "@shop/service-defaults/events/KafkaEventBus"
import { Deferred, Effect, Layer } from "effect"
import { randomUUID } from "node:crypto"
import { parseArgs } from "node:util"

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "20000" },
    batch: { type: "string", default: "200" },
    "handler-ms": { type: "string", default: "0" },
    "max-seconds": { type: "string", default: "120" }
  }
})
const total = Math.min(Number(values.events), 200_000)
const batchSize = Math.min(Number(values.batch), 1_000)
const maxMillis = Math.min(Number(values["max-seconds"]), 600) * 1000
const handlerMillis = Math.max(0, Math.min(Number(values["handler-ms"]), 1_000))

const topic = `bench-${randomUUID().slice(0, 8)}`
const keys = Array.from({ length: 64 }, (_, i) => `ord_bench_${i}`)
const records = (from: number, count: number): Array<EventRecord> =>
  Array.from({ length: count }, (_, i) => {
    const n = from + i
    const eventId = `evt_${randomUUID()}`
    return {
      eventId,
      topic,
      key: keys[n % keys.length]!,
      type: "order.confirmed",
      version: 1,
      traceparent: `00-${randomUUID().replaceAll("-", "")}-${randomUUID().replaceAll("-", "").slice(0, 16)}-01`,
      value: JSON.stringify({ eventId, n, payload: "x".repeat(400) })
    }
  })

const warmUp = records(0, 1)[0]!

const bench = Effect.gen(function*() {
  const bus = yield* EventBus
  let consumed = 0
  const allConsumed = yield* Deferred.make<number>()
  yield* Effect.forkScoped(bus.subscribe({
    group: `bench-${topic}`,
    topics: [topic],
    handler: (event) =>
      Effect.suspend(() => {
        if (event.eventId === warmUp.eventId) return Effect.void
        const counted = Effect.suspend(() => {
          consumed++
          return consumed === total ? Deferred.succeed(allConsumed, performance.now()) : Effect.void
        })
        return handlerMillis > 0 ? Effect.andThen(Effect.sleep(handlerMillis), counted) : counted
      })
  }))
  // the topic exists and the group has joined before the clock starts
  yield* bus.publish([warmUp]).pipe(Effect.andThen(Effect.sleep("3 seconds")))

  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  let published = 0
  while (published < total && performance.now() - started < maxMillis) {
    const count = Math.min(batchSize, total - published)
    yield* bus.publish(records(published, count))
    published += count
  }
  const publishedAt = performance.now()
  const lastConsumedAt = yield* Deferred.await(allConsumed).pipe(
    Effect.timeoutOption(Math.max(1, maxMillis - (publishedAt - started)))
  )
  const cpu = process.cpuUsage(cpuBefore)
  const seconds = (publishedAt - started) / 1000
  const endToEnd = lastConsumedAt._tag === "Some" ? (lastConsumedAt.value - started) / 1000 : undefined
  const cpuMicrosPerEvent = (cpu.user + cpu.system) / Math.max(1, consumed)
  console.log(`
Kafka transport on the mock cluster (3 brokers): ${published} events of ~500 bytes, batches of ${batchSize}
  handlers      ${handlerMillis} ms each
  publish       ${(published / seconds).toFixed(0)} events/s (${
    seconds.toFixed(2)
  } s, every batch acknowledged by all replicas)
  consumed      ${consumed}/${published}${
    endToEnd === undefined
      ? " (not all within --max-seconds)"
      : ` in ${endToEnd.toFixed(2)} s from the first publish: ${(consumed / endToEnd).toFixed(0)} events/s`
  }
  CPU           ${cpuMicrosPerEvent.toFixed(0)} us per event (user+system of this process: producer and consumer)
`)
  if (endToEnd === undefined) process.exitCode = 1
})

const unavailable = KafkaMockCluster.unavailable()
if (unavailable !== undefined) {
  console.error(`bench:events ${unavailable}`)
  process.exit(1)
}
await Effect.runPromise(
  bench.pipe(
    // the consumer stops before the cluster does
    Effect.scoped,
    Effect.provide(Layer.unwrap(Effect.map(KafkaMockCluster.make(3), (cluster) =>
      KafkaEventBus.layerConfig({
        clientId: "bench",
        brokers: [...cluster.brokers],
        timings: KafkaMockCluster.testTimings,
        logLevel: "nothing"
      }))))
  )
)
