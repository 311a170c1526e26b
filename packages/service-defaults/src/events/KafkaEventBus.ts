import { Config, Effect, Fiber, Layer, Metric } from "effect"
import { type IHeaders, Kafka, type KafkaConfig, logLevel, type Message } from "kafkajs"
import { type DeliveredEvent, EventBus, EventBusError, type EventRecord, type Subscription } from "./EventBus.ts"
import { consumerLag } from "./EventMetrics.ts"

const header = (headers: IHeaders | undefined, name: string): string | undefined => {
  const value = headers?.[name]
  const first = Array.isArray(value) ? value[0] : value
  return first === undefined ? undefined : first.toString()
}

const toMessage = (record: EventRecord): Message => ({
  key: record.key,
  value: record.value,
  headers: {
    "event-id": record.eventId,
    "event-type": record.type,
    "event-version": String(record.version),
    ...(record.traceparent === undefined ? {} : { traceparent: record.traceparent })
  }
})

const make = (config: KafkaConfig) =>
  Effect.gen(function*() {
    const kafka = new Kafka({ logLevel: logLevel.WARN, ...config })
    // Idempotent producer: broker-side sequence numbers drop the duplicates of a retried send, and one request in
    // flight keeps the order of a partition.
    const producer = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const p = kafka.producer({
            idempotent: true,
            maxInFlightRequests: 1,
            allowAutoTopicCreation: true
          })
          await p.connect()
          return p
        },
        catch: (cause) => new EventBusError({ operation: "connect", cause })
      }),
      (p) => Effect.promise(() => p.disconnect())
    )

    const publish = Effect.fn("KafkaEventBus.publish")(function*(records: ReadonlyArray<EventRecord>) {
      if (records.length === 0) return
      const byTopic = new Map<string, Array<Message>>()
      for (const record of records) {
        const messages = byTopic.get(record.topic) ?? []
        messages.push(toMessage(record))
        byTopic.set(record.topic, messages)
      }
      yield* Effect.tryPromise({
        try: () =>
          producer.sendBatch({
            acks: -1,
            topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages }))
          }),
        catch: (cause) => new EventBusError({ operation: "publish", cause })
      })
    })

    const subscribe = (subscription: Subscription) =>
      Effect.gen(function*() {
        const context = yield* Effect.context<never>()
        const run = Effect.runPromiseWith(context)
        const runFork = Effect.runForkWith(context)
        // Handlers run on fibers of their own (kafkajs calls back into a promise); the release interrupts them first,
        // since kafkajs' disconnect waits for the batch in progress and a hung handler would hold it forever.
        const running = new Set<Fiber.Fiber<void, unknown>>()
        const lag = Metric.withAttributes(consumerLag, { group: subscription.group })
        const consumer = yield* Effect.acquireRelease(
          Effect.tryPromise({
            try: async () => {
              const c = kafka.consumer({ groupId: subscription.group, allowAutoTopicCreation: true })
              await c.connect()
              await c.subscribe({ topics: [...subscription.topics], fromBeginning: true })
              return c
            },
            catch: (cause) => new EventBusError({ operation: "subscribe", cause })
          }),
          (c) =>
            Effect.andThen(
              Effect.forEach([...running], Fiber.interrupt, { discard: true }),
              Effect.promise(() => c.disconnect())
            )
        )
        return yield* Effect.callback<never, EventBusError>((resume) => {
          consumer.on(consumer.events.CRASH, (event) => {
            if (!event.payload.restart) {
              resume(Effect.fail(new EventBusError({ operation: "consume", cause: event.payload.error })))
            }
          })
          // Partitions are consumed one message at a time: the order of a key is the order of its partition. A
          // thrown handler error makes kafkajs seek back to the last committed offset and deliver the message again.
          consumer.run({
            autoCommit: false,
            eachBatchAutoResolve: false,
            eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
              for (const message of batch.messages) {
                if (!isRunning() || isStale()) return
                const delivered: DeliveredEvent = {
                  eventId: header(message.headers, "event-id") ?? "",
                  topic: batch.topic,
                  key: message.key?.toString() ?? "",
                  type: header(message.headers, "event-type") ?? "",
                  version: Number(header(message.headers, "event-version") ?? 0),
                  traceparent: header(message.headers, "traceparent"),
                  value: message.value?.toString() ?? "",
                  position: `${batch.topic}/${batch.partition}/${message.offset}`
                }
                const handling = runFork(subscription.handler(delivered))
                running.add(handling)
                try {
                  await Effect.runPromise(Fiber.join(handling))
                } finally {
                  running.delete(handling)
                }
                resolveOffset(message.offset)
                const next = (BigInt(message.offset) + 1n).toString()
                await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }])
                await run(Metric.update(lag, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(next)))))
                await heartbeat()
              }
            }
          }).catch((cause) => resume(Effect.fail(new EventBusError({ operation: "consume", cause }))))
        })
      }).pipe(Effect.scoped, Effect.withSpan("KafkaEventBus.subscribe", { attributes: { group: subscription.group } }))

    return EventBus.of({ publish, subscribe })
  })

/** The Kafka transport for a given client configuration (tests point it at a mock cluster or a real broker). */
export const layerConfig = (config: KafkaConfig) => Layer.effect(EventBus, make(config))

/** The Kafka transport on `KAFKA_BROKERS` (comma-separated host:port), client id `KAFKA_CLIENT_ID`. */
export const layer = Layer.unwrap(Effect.gen(function*() {
  const brokers = yield* Config.String("KAFKA_BROKERS")
  const clientId = yield* Config.String("KAFKA_CLIENT_ID").pipe(Config.withDefault("shop-mesh"))
  return layerConfig({ clientId, brokers: brokers.split(",").map((b) => b.trim()).filter((b) => b !== "") })
}))
