import { assert, describe, it } from "@effect/vitest"
import { DateTime, Effect, Schema } from "effect"
import { TestClock } from "effect/testing"
import { topicOf, Topics } from "../src/EventEnvelope.ts"
import {
  decodeEvent,
  decodeEventJson,
  encodeEvent,
  encodeEventJson,
  EventDefinitions,
  isKnownEvent,
  KnownEvent,
  MalformedEvent,
  OrderCreated,
  OrderFailed,
  PaymentSucceeded,
  UnknownEventType
} from "../src/Events.ts"
import { OrderId, PaymentId, ProductId, SagaId, UserId } from "../src/Ids.ts"
import { Cents, DefaultCurrency } from "../src/Money.ts"

const orderId = OrderId.make("ord_xyz789")
const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

const orderCreated = OrderCreated.create({
  orderId,
  userId: UserId.make("user_123"),
  sagaId: SagaId.make("saga_123"),
  items: [{
    productId: ProductId.make("prod_1a2b3c4d"),
    name: "Wireless Mouse",
    quantity: 3,
    unitPriceCents: Cents.make(2999)
  }],
  totalCents: Cents.make(8997),
  currency: DefaultCurrency
}, { traceparent })

describe("Events", () => {
  it.effect("stamps id, time and key, and round-trips through JSON", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("1 hour")
      const event = yield* orderCreated
      assert.strictEqual(event.type, "order.created")
      assert.strictEqual(event.version, 1)
      assert.strictEqual(event.key, orderId)
      assert.isTrue(event.eventId.startsWith("evt_"))
      assert.strictEqual(DateTime.toEpochMillis(event.occurredAt), 3_600_000)
      assert.strictEqual(event.traceparent, traceparent)
      assert.strictEqual(topicOf(event), Topics.orders)

      const text = yield* encodeEventJson(event)
      const json = JSON.parse(text)
      assert.strictEqual(json.occurredAt, "1970-01-01T01:00:00.000Z")
      assert.strictEqual(json.payload.totalCents, 8997)
      assert.deepStrictEqual(yield* decodeEventJson(text), event)
      assert.deepStrictEqual(yield* decodeEvent(yield* encodeEvent(event)), event)
    }))

  it.effect("decodes each known event by type and version", () =>
    Effect.gen(function*() {
      const payment = yield* PaymentSucceeded.create({
        paymentId: PaymentId.make("pay_456"),
        orderId,
        amountCents: Cents.make(8997),
        currency: DefaultCurrency
      })
      const failed = yield* OrderFailed.create({
        orderId,
        userId: UserId.make("user_123"),
        reason: "payment_declined",
        detail: "card declined"
      })
      for (const event of [payment, failed]) {
        const decoded = yield* decodeEventJson(yield* encodeEventJson(event))
        assert.deepStrictEqual(decoded, event)
        assert.strictEqual(decoded.key, orderId)
      }
      assert.strictEqual(topicOf(payment), Topics.payments)
      // one function for definitions, the relay (which sees only the type) and consumers
      for (const definition of EventDefinitions) assert.strictEqual(definition.topic, topicOf(definition.type))
      assert.strictEqual(topicOf("inventory.released"), Topics.inventory)
      assert.strictEqual(topicOf("shipment.sent"), "shop.shipment")
      assert.strictEqual(new Set(EventDefinitions.map((d) => `${d.type}@${d.version}`)).size, EventDefinitions.length)
      assert.isTrue(isKnownEvent("order.confirmed", 1))
      assert.isFalse(isKnownEvent("order.confirmed", 2))
    }))

  it.effect("turns unknown types and versions into UnknownEventType, for a dead-letter queue", () =>
    Effect.gen(function*() {
      const json = yield* encodeEvent(yield* orderCreated)
      const unknownType = yield* Effect.flip(decodeEvent({ ...json, type: "order.shipped" }))
      assert.instanceOf(unknownType, UnknownEventType)
      const unknownVersion = yield* Effect.flip(decodeEvent({ ...json, version: 2 }))
      assert.instanceOf(unknownVersion, UnknownEventType)
      assert.strictEqual((unknownVersion as UnknownEventType).version, 2)
      // the error itself is serializable, so the dead-letter record can carry it
      assert.deepStrictEqual(Schema.encodeSync(UnknownEventType)(unknownType as UnknownEventType), {
        _tag: "UnknownEventType",
        eventId: json.eventId,
        type: "order.shipped",
        version: 1
      })
    }))

  it.effect("turns invalid messages into MalformedEvent", () =>
    Effect.gen(function*() {
      const json = yield* encodeEvent(yield* orderCreated)
      const cases: Array<unknown> = [
        { ...json, payload: { ...json.payload, totalCents: -1 } },
        { ...json, eventId: "nope" },
        { ...json, traceparent: "nope" },
        { ...json, payload: undefined },
        { type: "order.created" },
        "text",
        null
      ]
      for (const input of cases) {
        assert.instanceOf(yield* Effect.flip(decodeEvent(input)), MalformedEvent, JSON.stringify(input))
      }
      assert.instanceOf(yield* Effect.flip(decodeEventJson("{not json")), MalformedEvent)
    }))

  it.effect("ignores members added by a newer producer within the same version", () =>
    Effect.gen(function*() {
      const json = yield* encodeEvent(yield* orderCreated)
      const decoded = yield* decodeEvent({ ...json, payload: { ...json.payload, coupon: "X" }, extra: 1 })
      assert.strictEqual(decoded.type, "order.created")
      assert.isTrue(Schema.is(KnownEvent)(decoded))
    }))
})
