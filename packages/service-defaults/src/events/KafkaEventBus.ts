import type { KafkaJS } from "@confluentinc/kafka-javascript"
import { Duration, Effect, Fiber, FiberSet, Layer, Metric, Redacted } from "effect"
import { traced } from "../TracedFunction.ts"
import {
  type DeliveredEvent,
  EventBus,
  EventBusError,
  type EventRecord,
  handledPrefix,
  indexesByKey,
  keysAtOnce,
  redeliveryBackoff,
  type Subscription
} from "./EventBus.ts"
import { consumerLag } from "./EventMetrics.ts"
import { processSpan } from "./EventTrace.ts"
import { clientLogLevel, makeKafkaLogger } from "./KafkaLogger.ts"
import { type ConsumerTimings, type KafkaSecurity, type KafkaSettings, KafkaSettingsConfig } from "./KafkaSettings.ts"

/** How many partitions of its assignment a consumer handles at once (each up to `keysAtOnce` keys at once). */
const partitionsAtOnce = 4

const header = (headers: KafkaJS.IHeaders | undefined, name: string): string | undefined => {
  const value = headers?.[name]
  const first = Array.isArray(value) ? value[0] : value
  return first === undefined ? undefined : first.toString()
}

const toMessage = (record: EventRecord): KafkaJS.Message => ({
  key: record.key,
  value: record.value,
  headers: {
    "event-id": record.eventId,
    "event-type": record.type,
    "event-version": String(record.version),
    ...(record.traceparent === undefined ? {} : { traceparent: record.traceparent })
  }
})

const toDelivered = (batch: KafkaJS.Batch, message: KafkaJS.KafkaMessage): DeliveredEvent => ({
  eventId: header(message.headers, "event-id") ?? "",
  topic: batch.topic,
  key: message.key?.toString() ?? "",
  type: header(message.headers, "event-type") ?? "",
  version: Number(header(message.headers, "event-version") ?? 0),
  traceparent: header(message.headers, "traceparent"),
  value: message.value?.toString() ?? "",
  position: `${batch.topic}/${batch.partition}/${message.offset}`
})

/** librdkafka's TLS settings live outside the client's KafkaJS block. */
const tlsSettings = (security: KafkaSecurity | undefined) =>
  Object.fromEntries(
    Object.entries({
      "ssl.ca.location": security?.caLocation,
      "ssl.certificate.location": security?.certificateLocation,
      "ssl.key.location": security?.keyLocation,
      "ssl.key.password": security?.keyPassword === undefined ? undefined : Redacted.value(security.keyPassword)
    }).filter(([, value]) => value !== undefined)
  )

const definedTimings = (timings: ConsumerTimings | undefined) =>
  Object.fromEntries(Object.entries(timings ?? {}).filter(([, value]) => value !== undefined))

/** The native client, loaded on first use: a service on the PostgreSQL event log never loads librdkafka. */
const loadClient = Effect.tryPromise({
  try: async () => (await import("@confluentinc/kafka-javascript")).KafkaJS,
  catch: (cause) =>
    new EventBusError({
      operation: "connect",
      cause: new Error(
        "@confluentinc/kafka-javascript has no native binding here: run `node scripts/build-kafka-client.ts`",
        { cause }
      )
    })
})

const make = (settings: KafkaSettings) =>
  Effect.gen(function*() {
    const { Kafka } = yield* loadClient
    const runLog = Effect.runForkWith(yield* Effect.context<never>())
    const level = settings.logLevel ?? "warn"
    const { sasl, tls } = settings.security ?? { tls: false }
    const kafka = new Kafka({
      ...tlsSettings(settings.security),
      kafkaJS: {
        clientId: settings.clientId,
        brokers: [...settings.brokers],
        ssl: tls,
        ...(sasl === undefined
          ? {}
          : { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: Redacted.value(sasl.password) } }),
        logLevel: clientLogLevel(level),
        logger: makeKafkaLogger((effect) => void runLog(effect), level)
      }
    })
    // The idempotent producer with acks=all: a send is acknowledged once every in-sync replica has it, and the
    // broker drops the duplicates of librdkafka's own retries and keeps their order (up to 5 requests in flight per
    // broker). What it cannot dedupe, a relay that crashed between the ack and marking its rows published, the
    // consumers' inboxes drop by event id. A message not delivered within `deliveryTimeout` fails its publish; the
    // outbox rows stay pending and are published again.
    const producer = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const p = kafka.producer({
            "message.timeout.ms": Duration.toMillis(settings.deliveryTimeout ?? Duration.seconds(30)),
            kafkaJS: { idempotent: true, acks: -1, maxInFlightRequests: 5, allowAutoTopicCreation: true }
          })
          await p.connect()
          return p
        },
        catch: (cause) => new EventBusError({ operation: "connect", cause })
      }),
      (p) => Effect.promise(() => p.disconnect().catch(() => undefined))
    )

    const publish = traced("KafkaEventBus.publish")(function*(records: ReadonlyArray<EventRecord>) {
      if (records.length === 0) return
      const byTopic = new Map<string, Array<KafkaJS.Message>>()
      for (const record of records) {
        const messages = byTopic.get(record.topic) ?? []
        messages.push(toMessage(record))
        byTopic.set(record.topic, messages)
      }
      yield* Effect.tryPromise({
        try: () =>
          producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) }),
        catch: (cause) => new EventBusError({ operation: "publish", cause })
      })
    })

    const subscribe = (subscription: Subscription) =>
      Effect.gen(function*() {
        const run = Effect.runPromiseWith(yield* Effect.context<never>())
        const lag = Metric.withAttributes(consumerLag, { group: subscription.group })
        const handleUntilOwnershipEnds = (event: DeliveredEvent, owned: () => boolean) =>
          subscription.handler(event).pipe(
            processSpan(event, subscription.group),
            Effect.tapError((cause) =>
              Effect.logWarning("event handler failed; retrying", cause).pipe(
                Effect.annotateLogs({ group: subscription.group, position: event.position })
              )
            ),
            Effect.retry({ schedule: redeliveryBackoff, while: owned })
          )
        const consumer = yield* Effect.acquireRelease(
          Effect.tryPromise({
            try: async () => {
              const c = kafka.consumer({
                kafkaJS: {
                  ...definedTimings(settings.timings),
                  groupId: subscription.group,
                  fromBeginning: true,
                  autoCommit: false,
                  allowAutoTopicCreation: true
                }
              })
              await c.connect()
              await c.subscribe({ topics: [...subscription.topics] })
              return c
            },
            catch: (cause) => new EventBusError({ operation: "subscribe", cause })
          }),
          (c) => Effect.promise(() => c.disconnect().catch(() => undefined))
        )
        // Handlers run on fibers of their own (the client calls back into a promise), in a set that is closed before
        // the consumer disconnects: the disconnect waits for the batch in progress, and a hung handler would hold it
        // forever. A handler started after the set closed is interrupted at once.
        const runHandler = yield* FiberSet.makeRuntime<never, void, unknown>()
        // The events of different keys in a batch (one partition's) are handled at once, up to `keysAtOnce`, each
        // key's one after another, and several partitions at once: the order of a key is the order of its partition.
        // A failed handler is retried in place until it succeeds or the batch goes stale (the partition was taken
        // away, or the handler held it past the rebalance timeout); its key stops there, the others go on. The offset
        // after the batch's handled prefix is committed after every batch, so what was not handled is delivered
        // again, here or to the partition's next owner (with events of other keys that were handled after it:
        // handlers are idempotent).
        yield* Effect.tryPromise({
          try: () =>
            consumer.run({
              eachBatchAutoResolve: false,
              partitionsConsumedConcurrently: partitionsAtOnce,
              eachBatch: async ({ batch, isRunning, isStale, resolveOffset }) => {
                const owned = () => isRunning() && !isStale()
                const { messages } = batch
                const handled = messages.map(() => false)
                const runKey = async (indexes: ReadonlyArray<number>) => {
                  for (const i of indexes) {
                    if (!owned()) return
                    const handling = runHandler(handleUntilOwnershipEnds(toDelivered(batch, messages[i]!), owned))
                    const exit = await Effect.runPromise(Fiber.await(handling))
                    if (exit._tag === "Failure") return
                    handled[i] = true
                  }
                }
                const keys = indexesByKey(messages.map((message) => message.key?.toString() ?? ""))
                let nextKey = 0
                await Promise.all(Array.from({ length: Math.min(keysAtOnce, keys.length) }, async () => {
                  while (nextKey < keys.length) await runKey(keys[nextKey++]!)
                }))
                const done = handledPrefix(handled)
                if (done === 0) return
                const handledUpTo = messages[done - 1]!.offset
                resolveOffset(handledUpTo)
                // A stale batch's partition belongs to another member now: its commit would be refused.
                if (isStale()) return
                const next = (BigInt(handledUpTo) + 1n).toString()
                const committed = await consumer.commitOffsets([
                  { topic: batch.topic, partition: batch.partition, offset: next }
                ]).then(() => true, (cause) => run(Effect.as(Effect.logWarning("offset commit failed", cause), false)))
                if (committed) {
                  await run(Metric.update(lag, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(next)))))
                }
              }
            }),
          catch: (cause) => new EventBusError({ operation: "consume", cause })
        })
        // librdkafka reconnects to the brokers and rejoins the group by itself, for as long as the consumer lives.
        return yield* Effect.never
      }).pipe(
        Effect.scoped,
        Effect.tapCause((cause) => Effect.logWarning("Kafka consumer failed; subscribing again", cause)),
        Effect.retry(redeliveryBackoff),
        Effect.withSpan("KafkaEventBus.subscribe", { attributes: { group: subscription.group } })
      )

    return EventBus.of({ publish, subscribe })
  })

/** The Kafka transport with the given settings (tests point it at a mock cluster or a real broker). */
export const layerConfig = (settings: KafkaSettings) => Layer.effect(EventBus, make(settings))

/** The Kafka transport configured from the environment (see `KafkaSettingsConfig`). */
export const layer = Layer.unwrap(Effect.map(KafkaSettingsConfig, layerConfig))
