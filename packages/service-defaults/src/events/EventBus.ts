import { Context, Effect, Schedule, Schema } from "effect"

/**
 * One event as the transport moves it: the encoded envelope (`value`, JSON text) plus the members a broker needs
 * without parsing it: the topic, the partition key (aggregate id), and id / type / version / traceparent as headers.
 */
export interface EventRecord {
  readonly eventId: string
  readonly topic: string
  readonly key: string
  readonly type: string
  readonly version: number
  readonly traceparent?: string | undefined
  readonly value: string
}

/** A record handed to a subscriber, with its position in the transport (log sequence or partition offset). */
export interface DeliveredEvent extends EventRecord {
  readonly position: string
}

export class EventBusError extends Schema.TaggedError<EventBusError>()("EventBusError", {
  operation: Schema.String,
  cause: Schema.Defect()
}) {
  override get message() {
    const cause = this.cause instanceof Error
      ? this.cause.message
      : typeof this.cause === "string"
      ? this.cause
      : "see cause"
    return `event bus ${this.operation} failed: ${cause}`
  }
}

export interface Subscription {
  /** Consumer group: each group sees every event once (at least once); groups are independent. */
  readonly group: string
  readonly topics: ReadonlyArray<string>
  /**
   * Runs for every event, in order per key; events of different keys may be handled at once (both transports handle
   * up to `keysAtOnce` keys of a batch at once; Kafka also several partitions at once). The position is committed
   * only after the handler succeeded: a failure or a crash before that delivers the event again, so handlers must be
   * idempotent (an inbox).
   */
  readonly handler: (event: DeliveredEvent) => Effect.Effect<void, unknown>
}

/**
 * The event transport port. `publish` succeeds only once every record is durably stored (Kafka: acknowledged by all
 * in-sync replicas; event log: committed). `subscribe` consumes until interrupted, retrying from the last committed
 * position after a handler failure; it never skips an event.
 */
export class EventBus extends Context.Service<EventBus, {
  readonly publish: (records: ReadonlyArray<EventRecord>) => Effect.Effect<void, EventBusError>
  readonly subscribe: (subscription: Subscription) => Effect.Effect<never, EventBusError>
}>()("service-defaults/EventBus") {}

/** How a consumer waits before trying again after a failure: doubling from 100 ms, never more than 5 seconds apart. */
export const redeliveryBackoff = Schedule.min([Schedule.exponential("100 millis"), Schedule.spaced("5 seconds")])

/** How many keys of one batch a consumer handles at once. */
export const keysAtOnce = 16

/**
 * The positions in `keys` (a batch's keys, in the batch's order) grouped by key, each group in the batch's order: a
 * consumer runs each group one event after another and the groups at once.
 */
export const indexesByKey = (keys: ReadonlyArray<string>): Array<Array<number>> => {
  const byKey = new Map<string, Array<number>>()
  keys.forEach((key, i) => {
    const indexes = byKey.get(key)
    if (indexes === undefined) byKey.set(key, [i])
    else indexes.push(i)
  })
  return [...byKey.values()]
}

/** How many events at a batch's start were all handled: what a consumer may commit after a failure. */
export const handledPrefix = (handled: ReadonlyArray<boolean>): number => {
  const firstNotHandled = handled.indexOf(false)
  return firstNotHandled === -1 ? handled.length : firstNotHandled
}
