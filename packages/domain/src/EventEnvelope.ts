import { DateTime, Effect, Schema } from "effect"
import { EventId } from "./Ids.ts"
import { Timestamp } from "./Timestamp.ts"

/**
 * The envelope every event travels in: `{ eventId, type, version, occurredAt, key, traceparent?, payload }`, and
 * `defineEvent`, which declares one version of one event type. The event catalog is in `Events.ts`.
 */

/** The topics events are published on. */
export const Topics = {
  orders: "shop.orders",
  payments: "shop.payments",
  inventory: "shop.inventory"
} as const
export type Topic = (typeof Topics)[keyof typeof Topics]

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

/** One version of one event type: its schema, topic, and constructors that stamp id and time. */
export interface EventDefinition<Type extends string, Version extends number, Payload extends Schema.Top> {
  readonly type: Type
  readonly version: Version
  readonly topic: Topic
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
    readonly topic: Topic
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
  return { type: options.type, version: options.version, topic: options.topic, schema, make, create }
}
