import { DateTime, Effect, Schema } from "effect"
import { EventId } from "./Ids.ts"
import { Timestamp } from "./Timestamp.ts"

/**
 * The envelope every event travels in: `{ eventId, type, version, occurredAt, key, traceparent?, payload }`, and
 * `defineEvent`, which declares one version of one event type. The event catalog is in `Events.ts`.
 */

/** One topic per event family (the part of an event type before its first dot). */
const topicOfFamily = { order: "shop.orders", payment: "shop.payments", inventory: "shop.inventory" } as const

/** The topics events are published on. */
export const Topics = {
  orders: topicOfFamily.order,
  payments: topicOfFamily.payment,
  inventory: topicOfFamily.inventory
} as const
export type Topic = (typeof Topics)[keyof typeof Topics]

/**
 * The topic of an event, or of an event type: its family's (`order.confirmed` -> `shop.orders`). The one place that
 * maps events to topics: event definitions, the outbox relay and the consumers all go through it. A family this
 * version does not know (a type added by a newer version, relayed by an older replica during a rolling deploy) gets
 * `shop.<family>` instead of blocking the outbox.
 */
export const topicOf = (event: string | { readonly type: string }): string => {
  const type = typeof event === "string" ? event : event.type
  const family = type.split(".")[0] ?? type
  return family in topicOfFamily ? topicOfFamily[family as keyof typeof topicOfFamily] : `shop.${family}`
}

/** A W3C trace context `traceparent` header value. */
export const Traceparent = Schema.String.check(
  Schema.isPattern(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/u, { expected: "a W3C traceparent" })
)

/** The envelope members that do not depend on the event type. */
export const envelopeFields = {
  eventId: EventId,
  occurredAt: Timestamp,
  key: Schema.String.check(Schema.isBetweenLength(1, 128)),
  traceparent: Schema.optionalKey(Traceparent)
}

/** What an event carries besides its payload: its id, when it happened, and the trace it belongs to. */
export interface EventStamp {
  readonly eventId: EventId
  readonly occurredAt: DateTime.Utc
  readonly traceparent?: string | undefined
}

/** A fresh stamp: a new event id, the `Clock`'s time, and the given trace context. */
export const stampEvent = (traceparent?: string | undefined): Effect.Effect<EventStamp> =>
  Effect.map(
    Effect.zip(EventId.generate, DateTime.now),
    ([eventId, occurredAt]) => ({ eventId, occurredAt, traceparent })
  )

/** One version of one event type: its schema, its topic (see `topicOf`), and constructors that stamp id and time. */
export interface EventDefinition<Type extends string, Version extends number, Payload extends Schema.Top> {
  readonly type: Type
  readonly version: Version
  readonly topic: string
  readonly schema: Schema.Struct<
    typeof envelopeFields & {
      readonly type: Schema.Literal<Type>
      readonly version: Schema.Literal<Version>
      readonly payload: Payload
    }
  >
  /** The event of `payload` with the given stamp, the payload's order id as key: pure. */
  readonly make: (
    payload: Payload["Type"],
    stamp: EventStamp
  ) => EventDefinition<Type, Version, Payload>["schema"]["Type"]
  /** A new event with a fresh id, the `Clock`'s time and the payload's order id as key. */
  readonly create: (
    payload: Payload["Type"],
    options?: { readonly traceparent?: string | undefined }
  ) => Effect.Effect<EventDefinition<Type, Version, Payload>["schema"]["Type"]>
}

export const defineEvent = <const Type extends string, const Version extends number, Payload extends Schema.Top>(
  options: {
    readonly type: Type
    readonly version: Version
    readonly payload: Payload
    readonly key: (payload: Payload["Type"]) => string
  }
): EventDefinition<Type, Version, Payload> => {
  const schema = Schema.Struct({
    ...envelopeFields,
    type: Schema.Literal(options.type),
    version: Schema.Literal(options.version),
    payload: options.payload
  }).annotate({ identifier: `${options.type}.v${options.version}` })
  // The object has exactly the schema's type; TypeScript cannot see through the generic struct view.
  const make = (payload: Payload["Type"], stamp: EventStamp): typeof schema.Type =>
    ({
      eventId: stamp.eventId,
      type: options.type,
      version: options.version,
      occurredAt: stamp.occurredAt,
      key: options.key(payload),
      ...(stamp.traceparent === undefined ? {} : { traceparent: stamp.traceparent }),
      payload
    }) as typeof schema.Type
  const create = (payload: Payload["Type"], createOptions?: { readonly traceparent?: string | undefined }) =>
    Effect.map(stampEvent(createOptions?.traceparent), (stamp) => make(payload, stamp))
  return { type: options.type, version: options.version, topic: topicOf(options.type), schema, make, create }
}
