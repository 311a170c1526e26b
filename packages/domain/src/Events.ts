import { Effect, Option, Schema, SchemaIssue } from "effect"
import { CustomerContact } from "./Contact.ts"
import { defineEvent } from "./EventEnvelope.ts"
import { OrderId, PaymentId, ProductId, ReservationId, SagaId, TrackingNumber, TransactionId, UserId } from "./Ids.ts"
import { Cents, Currency } from "./Money.ts"
import { Quantity } from "./Order.ts"
import { Price, ProductName } from "./Product.ts"
import { Timestamp } from "./Timestamp.ts"

/**
 * Events published between services (Kafka, or the PostgreSQL event log). Each event is an envelope
 * `{ eventId, type, version, occurredAt, key, traceparent?, payload }` encoded as JSON. `type` and `version` select
 * the payload schema; a consumer decodes with {@link decodeEvent}, which fails with `UnknownEventType` (a type or
 * version it does not know) or `MalformedEvent` (not a valid event), both serializable for a dead-letter record.
 *
 * `key` is the order id for every event below: all events of one order go to one partition, in order, whichever
 * service publishes them. Payloads may gain optional members within a version; anything else is a new version.
 */

/** A line of an order as events carry it. */
export const EventOrderLine = Schema.Struct({
  productId: ProductId,
  name: ProductName,
  quantity: Quantity,
  unitPriceCents: Price
})

/** Units of one product, as reservations carry them. */
export const StockLine = Schema.Struct({ productId: ProductId, quantity: Quantity })

const byOrder = (payload: { readonly orderId: OrderId }) => payload.orderId

/** `order.created` v1: an order was accepted and its saga started. */
export const OrderCreated = defineEvent({
  type: "order.created",
  version: 1,
  key: byOrder,
  payload: Schema.Struct({
    orderId: OrderId,
    userId: UserId,
    sagaId: SagaId,
    items: Schema.Array(EventOrderLine),
    totalCents: Cents,
    currency: Currency
  })
})

/** `order.confirmed` v1: stock committed and payment captured; the customer gets a confirmation. */
export const OrderConfirmed = defineEvent({
  type: "order.confirmed",
  version: 1,
  key: byOrder,
  payload: Schema.Struct({
    orderId: OrderId,
    userId: UserId,
    paymentId: PaymentId,
    items: Schema.Array(EventOrderLine),
    totalCents: Cents,
    currency: Currency,
    trackingNumber: Schema.optionalKey(TrackingNumber),
    /** Where the customer is told; absent from events of orders placed before contacts existed. */
    contact: Schema.optionalKey(CustomerContact)
  })
})

/** Why an order failed. */
export const OrderFailureReason = Schema.Literals([
  "insufficient_stock",
  "payment_declined",
  "payment_unavailable",
  "timeout",
  "internal"
])
export type OrderFailureReason = typeof OrderFailureReason.Type

/** `order.failed` v1: the saga gave up; whatever it had reserved or charged has been compensated. */
export const OrderFailed = defineEvent({
  type: "order.failed",
  version: 1,
  key: byOrder,
  payload: Schema.Struct({
    orderId: OrderId,
    userId: UserId,
    reason: OrderFailureReason,
    detail: Schema.String,
    /** Where the customer is told; absent from events of orders placed before contacts existed. */
    contact: Schema.optionalKey(CustomerContact)
  })
})

/** `order.cancelled` v1: the customer or an operator cancelled the order. */
export const OrderCancelled = defineEvent({
  type: "order.cancelled",
  version: 1,
  key: byOrder,
  payload: Schema.Struct({ orderId: OrderId, userId: UserId, reason: Schema.optionalKey(Schema.String) })
})

const paymentFields = { paymentId: PaymentId, orderId: OrderId, amountCents: Price, currency: Currency }

/** `payment.succeeded` v1: the processor captured the amount. */
export const PaymentSucceeded = defineEvent({
  type: "payment.succeeded",
  version: 1,
  key: byOrder,
  payload: Schema.Struct({ ...paymentFields, transactionId: Schema.optionalKey(TransactionId) })
})

/** `payment.failed` v1: nothing was charged; `declined` tells a refusal by the processor from an outage. */
export const PaymentFailed = defineEvent({
  type: "payment.failed",
  version: 1,
  key: byOrder,
  payload: Schema.Struct({ ...paymentFields, reason: Schema.String, declined: Schema.Boolean })
})

/** `payment.refunded` v1: a captured amount was given back (compensation of a failed saga, or a cancellation). */
export const PaymentRefunded = defineEvent({
  type: "payment.refunded",
  version: 1,
  key: byOrder,
  payload: Schema.Struct({ ...paymentFields, reason: Schema.optionalKey(Schema.String) })
})

/** `inventory.reserved` v1: stock is held for an order until `expiresAt` unless committed. */
export const InventoryReserved = defineEvent({
  type: "inventory.reserved",
  version: 1,
  key: byOrder,
  payload: Schema.Struct({
    reservationId: ReservationId,
    orderId: OrderId,
    items: Schema.Array(StockLine),
    expiresAt: Timestamp
  })
})

/** `inventory.released` v1: a reservation was given back to available stock. */
export const InventoryReleased = defineEvent({
  type: "inventory.released",
  version: 1,
  key: byOrder,
  payload: Schema.Struct({
    reservationId: ReservationId,
    orderId: OrderId,
    items: Schema.Array(StockLine),
    reason: Schema.Literals(["order_failed", "order_cancelled", "expired"])
  })
})

/** Every event definition this version of the platform knows. */
export const EventDefinitions = [
  OrderCreated,
  OrderConfirmed,
  OrderFailed,
  OrderCancelled,
  PaymentSucceeded,
  PaymentFailed,
  PaymentRefunded,
  InventoryReserved,
  InventoryReleased
] as const

/** Any known event, discriminated by `type` (and `version`). */
export const KnownEvent = Schema.Union([
  OrderCreated.schema,
  OrderConfirmed.schema,
  OrderFailed.schema,
  OrderCancelled.schema,
  PaymentSucceeded.schema,
  PaymentFailed.schema,
  PaymentRefunded.schema,
  InventoryReserved.schema,
  InventoryReleased.schema
])
export type KnownEvent = typeof KnownEvent.Type
export type KnownEventEncoded = typeof KnownEvent.Encoded

/** The known event of a given type. */
export type EventOf<T extends KnownEvent["type"]> = Extract<KnownEvent, { readonly type: T }>

/** An event whose type or version this consumer does not know; dead-letter it (or skip it) and go on. */
export class UnknownEventType extends Schema.TaggedError<UnknownEventType>()("UnknownEventType", {
  eventId: Schema.String,
  type: Schema.String,
  version: Schema.Number
}) {
  override get message() {
    return `unknown event ${this.type} v${this.version} (${this.eventId})`
  }
}

/** A message that is not a valid event: not JSON, no envelope, or a payload that breaks its schema. */
export class MalformedEvent extends Schema.TaggedError<MalformedEvent>()("MalformedEvent", {
  eventId: Schema.optionalKey(Schema.String),
  type: Schema.optionalKey(Schema.String),
  detail: Schema.String
}) {
  override get message() {
    return `malformed event${this.type === undefined ? "" : ` ${this.type}`}: ${this.detail}`
  }
}

// The (type, version) pairs this platform knows; the union below picks the member by its literal `type` and `version`.
const known = new Set<string>(EventDefinitions.map((definition) => `${definition.type}@${definition.version}`))
const decodeKnown = Schema.decodeUnknownEffect(KnownEvent)

const EnvelopeHeader = Schema.Struct({ eventId: Schema.String, type: Schema.String, version: Schema.Number })
const formatIssue = SchemaIssue.makeFormatterDefault()

/** Whether this platform knows events of `type` at `version`. */
export const isKnownEvent = (type: string, version: number): boolean => known.has(`${type}@${version}`)

/** Decodes one event from its JSON value (already parsed). */
export const decodeEvent = (input: unknown): Effect.Effect<KnownEvent, UnknownEventType | MalformedEvent> =>
  Effect.gen(function*() {
    const header = Schema.decodeUnknownOption(EnvelopeHeader)(input)
    if (Option.isNone(header)) {
      return yield* new MalformedEvent({ detail: "expected an envelope with eventId, type and version" })
    }
    const { eventId, type, version } = header.value
    if (!isKnownEvent(type, version)) return yield* new UnknownEventType({ eventId, type, version })
    return yield* decodeKnown(input).pipe(
      Effect.mapError((error) => new MalformedEvent({ eventId, type, detail: formatIssue(error.issue) }))
    )
  })

/** Decodes one event from JSON text (a Kafka message value or an event-log row). */
export const decodeEventJson = (text: string): Effect.Effect<KnownEvent, UnknownEventType | MalformedEvent> =>
  Effect.try({ try: () => JSON.parse(text) as unknown, catch: () => new MalformedEvent({ detail: "not JSON" }) })
    .pipe(Effect.flatMap(decodeEvent))

/** Encodes an event into its JSON value. A failure is a bug (the event was built unchecked), hence a defect. */
export const encodeEvent = (event: KnownEvent): Effect.Effect<KnownEventEncoded> =>
  Effect.orDie(Schema.encodeEffect(KnownEvent)(event))

/** Encodes an event into JSON text. */
export const encodeEventJson = (event: KnownEvent): Effect.Effect<string> =>
  Effect.map(encodeEvent(event), (encoded) => JSON.stringify(encoded))
