import { Config, Effect, Fiber, FiberSet, Layer, Metric, Option } from "effect"
import { type Batch, type IHeaders, Kafka, type KafkaConfig, type KafkaMessage, logLevel, type Message } from "kafkajs"
import {
  type DeliveredEvent,
  EventBus,
  EventBusError,
  type EventRecord,
  redeliveryBackoff,
  type Subscription
} from "./EventBus.ts"
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

const toDelivered = (batch: Batch, message: KafkaMessage): DeliveredEvent => ({
  eventId: header(message.headers, "event-id") ?? "",
  topic: batch.topic,
  key: message.key?.toString() ?? "",
  type: header(message.headers, "event-type") ?? "",
  version: Number(header(message.headers, "event-version") ?? 0),
  traceparent: header(message.headers, "traceparent"),
  value: message.value?.toString() ?? "",
  position: `${batch.topic}/${batch.partition}/${message.offset}`
})

/**
 * Consumer group timings. kafkajs' defaults suit a real cluster; tests shorten them, since a group waits up to a
 * session timeout for a member that left, and a disconnect waits for the fetch in flight.
 */
export interface ConsumerTimings {
  readonly sessionTimeout?: number | undefined
  readonly rebalanceTimeout?: number | undefined
  readonly heartbeatInterval?: number | undefined
  readonly maxWaitTimeInMs?: number | undefined
}

const make = (config: KafkaConfig, timings: ConsumerTimings) =>
  Effect.gen(function*() {
    const kafka = new Kafka({ logLevel: logLevel.WARN, ...config })
    // acks=all and one request in flight per broker: a send is acknowledged only once every in-sync replica has it,
    // and a retry cannot overtake the request before it, so each partition keeps the order of the outbox. kafkajs'
    // idempotent producer is off: it loses its sequence numbers under retries (OUT_OF_ORDER_SEQUENCE_NUMBER,
    // tulios/kafkajs#598) and cannot recover without a restart. What a retry may duplicate, the consumers' inboxes drop
    // by event id, as they drop the duplicates of a relay that crashed between the ack and marking the row published.
    const producer = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const p = kafka.producer({
            idempotent: false,
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
        const run = Effect.runPromiseWith(yield* Effect.context<never>())
        const lag = Metric.withAttributes(consumerLag, { group: subscription.group })
        const handleUntilOwnershipEnds = (
          event: DeliveredEvent,
          heartbeat: () => Promise<void>,
          owned: () => boolean
        ) =>
          subscription.handler(event).pipe(
            Effect.tapError((cause) =>
              Effect.andThen(
                Effect.logWarning("event handler failed; retrying", cause).pipe(
                  Effect.annotateLogs({ group: subscription.group, position: event.position })
                ),
                // A refused heartbeat means a rebalance: `owned` turns false and the retry stops on its own.
                Effect.promise(() => heartbeat().catch(() => undefined))
              )
            ),
            Effect.retry({ schedule: redeliveryBackoff, while: owned })
          )
        const consumer = yield* Effect.acquireRelease(
          Effect.tryPromise({
            try: async () => {
              const c = kafka.consumer({
                ...definedTimings(timings),
                groupId: subscription.group,
                allowAutoTopicCreation: true
              })
              await c.connect()
              await c.subscribe({ topics: [...subscription.topics], fromBeginning: true })
              return c
            },
            catch: (cause) => new EventBusError({ operation: "subscribe", cause })
          }),
          (c) => Effect.promise(() => c.disconnect())
        )
        // Handlers run on fibers of their own (kafkajs calls back into a promise), in a set that is closed before the
        // consumer disconnects: kafkajs' disconnect waits for the batch in progress, and a hung handler would hold it
        // forever. A handler started after the set closed is interrupted at once.
        const runHandler = yield* FiberSet.makeRuntime<never, void, unknown>()
        return yield* Effect.callback<never, EventBusError>((resume) => {
          consumer.on(consumer.events.CRASH, (event) => {
            if (!event.payload.restart) {
              resume(Effect.fail(new EventBusError({ operation: "consume", cause: event.payload.error })))
            }
          })
          // Partitions are consumed one message at a time: the order of a key is the order of its partition. A failed
          // handler is retried in place, heartbeating between attempts, until it succeeds or the partition is taken
          // away (rebalance, shutdown); the offset after the last handled message is committed after every batch
          // and before letting go, so what was not handled is delivered again, here or to the next owner.
          consumer.run({
            autoCommit: false,
            eachBatchAutoResolve: false,
            eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
              const owned = () => isRunning() && !isStale()
              let handled: string | undefined
              const commit = async () => {
                // A stale batch's partition belongs to another member now: its commit would be refused.
                if (handled === undefined || isStale()) return
                const next = (BigInt(handled) + 1n).toString()
                await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }])
                await run(Metric.update(lag, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(next)))))
              }
              for (const message of batch.messages) {
                if (!owned()) break
                const handling = runHandler(handleUntilOwnershipEnds(toDelivered(batch, message), heartbeat, owned))
                const exit = await Effect.runPromise(Fiber.await(handling))
                if (exit._tag === "Failure") break
                resolveOffset(message.offset)
                handled = message.offset
                await heartbeat()
              }
              await commit()
            }
          }).catch((cause) => resume(Effect.fail(new EventBusError({ operation: "consume", cause }))))
        })
      }).pipe(
        Effect.scoped,
        // kafkajs restarts a consumer after retriable errors by itself; what it gives up on (a broker outage longer
        // than its retries) restarts the whole subscription from the committed offsets, like the event log.
        Effect.tapCause((cause) =>
          Effect.logWarning("Kafka consumer failed; resubscribing from the committed offsets", cause)
        ),
        Effect.retry(redeliveryBackoff),
        Effect.withSpan("KafkaEventBus.subscribe", { attributes: { group: subscription.group } })
      )

    return EventBus.of({ publish, subscribe })
  })

const definedTimings = (timings: ConsumerTimings) =>
  Object.fromEntries(Object.entries(timings).filter(([, value]) => value !== undefined))

/** The Kafka transport for a given client configuration (tests point it at a mock cluster or a real broker). */
export const layerConfig = (config: KafkaConfig, timings: ConsumerTimings = {}) =>
  Layer.effect(EventBus, make(config, timings))

const optionalMillis = (name: string) => Config.Int(name).pipe(Config.option, Config.map(Option.getOrUndefined))

/**
 * The Kafka transport on `KAFKA_BROKERS` (comma-separated host:port), client id `KAFKA_CLIENT_ID`, consumer timings
 * from `KAFKA_SESSION_TIMEOUT_MS`, `KAFKA_REBALANCE_TIMEOUT_MS`, `KAFKA_HEARTBEAT_INTERVAL_MS` and
 * `KAFKA_MAX_WAIT_MS` (kafkajs' defaults when unset).
 */
export const layer = Layer.unwrap(Effect.gen(function*() {
  const brokers = yield* Config.String("KAFKA_BROKERS")
  const clientId = yield* Config.String("KAFKA_CLIENT_ID").pipe(Config.withDefault("shop-mesh"))
  const timings: ConsumerTimings = {
    sessionTimeout: yield* optionalMillis("KAFKA_SESSION_TIMEOUT_MS"),
    rebalanceTimeout: yield* optionalMillis("KAFKA_REBALANCE_TIMEOUT_MS"),
    heartbeatInterval: yield* optionalMillis("KAFKA_HEARTBEAT_INTERVAL_MS"),
    maxWaitTimeInMs: yield* optionalMillis("KAFKA_MAX_WAIT_MS")
  }
  return layerConfig({ clientId, brokers: brokers.split(",").map((b) => b.trim()).filter((b) => b !== "") }, timings)
}))
