import { Effect, Schema } from "effect"
import { SecureRandom } from "effect/crypto"

/**
 * Identifiers of the platform. Every entity id is `<prefix><body>`, where the body is 1 to 64 url-safe characters
 * (`[A-Za-z0-9_-]`), so ids written by hand (`prod_1a2b3c4d`) and generated ids share one format.
 *
 * Generated ids are `<prefix>` + a lowercase ULID (26 Crockford base32 characters: 48 bits of milliseconds, then 80
 * random bits from `crypto.getRandomValues`). Lowercase Crockford base32 keeps the byte order of the timestamp, so
 * generated ids of one kind sort by creation time: good keys for keyset pagination and B-tree inserts. Within one
 * process, ids generated in the same millisecond still sort in generation order (monotonic ULID).
 */

// One generator per process: its monotonic state is what keeps same-millisecond ids ordered.
const secureRandom = SecureRandom.make(SecureRandom.randomBytesUnsafe)

/** Maximum length of the part after the prefix. */
export const maxIdBodyLength = 64

/** The pattern of ids with `prefix`: the prefix, then 1 to 64 url-safe characters. */
export const idPattern = (prefix: string) =>
  Schema.isPattern(new RegExp(`^${prefix}[A-Za-z0-9_-]{1,${maxIdBodyLength}}$`, "u"), {
    expected: `an id like "${prefix}1a2b3c4d"`
  })

/** A branded id schema with its prefix and a generator attached. */
export type PrefixedId<S extends Schema.Top> = S & {
  readonly prefix: string
  /** A new sortable id: the prefix, then a lowercase monotonic ULID timed by the `Clock`. */
  readonly generate: Effect.Effect<S["Type"]>
}

const withGenerator = <S extends Schema.Top & { readonly Type: string }>(
  prefix: string,
  schema: S
): PrefixedId<S> => {
  const generate = Effect.map(secureRandom.ulid, (ulid) => (prefix + ulid.toLowerCase()) as S["Type"])
  return Object.assign(schema, { prefix, generate })
}

const prefixed = (prefix: string, identifier: string) => <S extends Schema.Top>(self: S) =>
  self.annotate({
    identifier,
    description: `${identifier}: "${prefix}" followed by 1 to ${maxIdBodyLength} characters among A-Z a-z 0-9 _ -`,
    examples: [`${prefix}1a2b3c4d` as S["Type"]]
  }) as S["Rebuild"]

/** A product of the catalog, e.g. `prod_1a2b3c4d`. */
export const ProductId = withGenerator(
  "prod_",
  Schema.String.check(idPattern("prod_")).pipe(Schema.brand("ProductId"), prefixed("prod_", "ProductId"))
)
export type ProductId = typeof ProductId.Type

/** An order, e.g. `ord_xyz789`. */
export const OrderId = withGenerator(
  "ord_",
  Schema.String.check(idPattern("ord_")).pipe(Schema.brand("OrderId"), prefixed("ord_", "OrderId"))
)
export type OrderId = typeof OrderId.Type

/** A payment attempt for an order, e.g. `pay_456`. */
export const PaymentId = withGenerator(
  "pay_",
  Schema.String.check(idPattern("pay_")).pipe(Schema.brand("PaymentId"), prefixed("pay_", "PaymentId"))
)
export type PaymentId = typeof PaymentId.Type

/** The saga that places one order, e.g. `saga_123`. */
export const SagaId = withGenerator(
  "saga_",
  Schema.String.check(idPattern("saga_")).pipe(Schema.brand("SagaId"), prefixed("saga_", "SagaId"))
)
export type SagaId = typeof SagaId.Type

/** A stock reservation held for one order, e.g. `res_01j9zq...`. */
export const ReservationId = withGenerator(
  "res_",
  Schema.String.check(idPattern("res_")).pipe(Schema.brand("ReservationId"), prefixed("res_", "ReservationId"))
)
export type ReservationId = typeof ReservationId.Type

/** One published event, e.g. `evt_01j9zq...`; consumers deduplicate on it. */
export const EventId = withGenerator(
  "evt_",
  Schema.String.check(idPattern("evt_")).pipe(Schema.brand("EventId"), prefixed("evt_", "EventId"))
)
export type EventId = typeof EventId.Type

/**
 * A user as named by the identity provider (the `sub` of the bearer token), e.g. `user_123` or `auth0|5f7c`: 1 to 128
 * visible ASCII characters, no spaces.
 */
export const UserId = Schema.String.pipe(
  Schema.check(Schema.isPattern(/^[\x21-\x7E]{1,128}$/u, { expected: "1 to 128 visible ASCII characters" })),
  Schema.brand("UserId")
).annotate({
  identifier: "UserId",
  description: "User id from the identity provider",
  examples: ["user_123" as UserId]
})
export type UserId = typeof UserId.Type

/**
 * A client-chosen key that makes a write idempotent, e.g. `order_2025_abc123`: 1 to 255 characters among
 * `[A-Za-z0-9_.:-]`. Repeating a request with the same key returns the first result.
 */
export const IdempotencyKey = Schema.String.pipe(
  Schema.check(
    Schema.isPattern(/^[A-Za-z0-9_.:-]{1,255}$/u, { expected: "1 to 255 characters among A-Z a-z 0-9 _ . : -" })
  ),
  Schema.brand("IdempotencyKey")
).annotate({ identifier: "IdempotencyKey", examples: ["order_2025_abc123" as IdempotencyKey] })
export type IdempotencyKey = typeof IdempotencyKey.Type

/** The card processor's reference for a charge or refund; opaque to the platform. */
export const TransactionId = Schema.String.pipe(
  Schema.check(Schema.isBetweenLength(1, 128)),
  Schema.brand("TransactionId")
).annotate({ identifier: "TransactionId" })
export type TransactionId = typeof TransactionId.Type

/** A carrier tracking number, e.g. `TRK789012`. */
export const TrackingNumber = Schema.String.pipe(
  Schema.check(Schema.isPattern(/^[A-Za-z0-9-]{1,64}$/u, { expected: "1 to 64 characters among A-Z a-z 0-9 -" })),
  Schema.brand("TrackingNumber")
).annotate({ identifier: "TrackingNumber", examples: ["TRK789012" as TrackingNumber] })
export type TrackingNumber = typeof TrackingNumber.Type
