import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import { TestClock } from "effect/testing"
import {
  EventId,
  IdempotencyKey,
  OrderId,
  PaymentId,
  ProductId,
  ReservationId,
  SagaId,
  TrackingNumber,
  UserId
} from "../src/Ids.ts"

const valid = (schema: Schema.Top, value: unknown) =>
  Exit.isSuccess(Schema.decodeUnknownExit(schema as Schema.Codec<unknown>)(value))

describe("Ids", () => {
  it("accepts the ids of the specification's examples", () => {
    for (const id of ["prod_1a2b3c4d", "prod_5e6f7g8h", "prod_01J9ZQ-x_y"]) assert.isTrue(valid(ProductId, id), id)
    assert.isTrue(valid(OrderId, "ord_xyz789"))
    assert.isTrue(valid(PaymentId, "pay_456"))
    assert.isTrue(valid(SagaId, "saga_123"))
    assert.isTrue(valid(UserId, "user_123"))
    assert.isTrue(valid(UserId, "auth0|5f7c1e"))
    assert.isTrue(valid(IdempotencyKey, "order_2025_abc123"))
    assert.isTrue(valid(TrackingNumber, "TRK789012"))
  })

  it("refuses ids with another prefix, no body, a long body or unsafe characters", () => {
    const bad = [
      "ord_1",
      "prod_",
      "prod",
      "PROD_1",
      "prod_a b",
      "prod_a/b",
      "prod_é",
      `prod_${"a".repeat(65)}`,
      1,
      null
    ]
    for (const id of bad) assert.isFalse(valid(ProductId, id), String(id))
    assert.isTrue(valid(ProductId, `prod_${"a".repeat(64)}`))
    for (const id of ["", "user 1", "a".repeat(129), "tab\t"]) assert.isFalse(valid(UserId, id), id)
    for (const key of ["", "a b", "k".repeat(256)]) assert.isFalse(valid(IdempotencyKey, key), key)
  })

  it.effect("generates valid, unique ids with their prefix", () =>
    Effect.gen(function*() {
      const ids = new Set<string>()
      for (let i = 0; i < 1000; i++) {
        const id = yield* ProductId.generate
        assert.isTrue(valid(ProductId, id), id)
        ids.add(id)
      }
      assert.strictEqual(ids.size, 1000)
      const pairs = [
        [OrderId, yield* OrderId.generate],
        [PaymentId, yield* PaymentId.generate],
        [SagaId, yield* SagaId.generate],
        [ReservationId, yield* ReservationId.generate],
        [EventId, yield* EventId.generate]
      ] as const
      for (const [schema, id] of pairs) {
        assert.isTrue(id.startsWith(schema.prefix), id)
        assert.isTrue(valid(schema, id), id)
        assert.strictEqual(id.length, schema.prefix.length + 26)
      }
    }))

  it.effect("generated ids sort by creation time, also within one millisecond", () =>
    Effect.gen(function*() {
      const ids: Array<string> = []
      for (let i = 0; i < 50; i++) {
        ids.push(yield* OrderId.generate)
        if (i % 10 === 0) yield* TestClock.adjust("1 millis")
      }
      yield* TestClock.adjust("365 days")
      ids.push(yield* OrderId.generate)
      assert.deepStrictEqual(ids.toSorted(), ids)
    }))
})
