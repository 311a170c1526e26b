import { assert, describe, it } from "@effect/vitest"
import { Cents, Currency, IdempotencyKey, OrderId, Payment, PaymentId, Refund, TransactionId } from "@shop/domain"
import { PaymentStatus, RefundStatus } from "@shop/proto/payment/v1/payment"
import { DateTime, Effect } from "effect"
import { decodeCharge, decodeLookup, decodeRefund, encodePayment } from "../src/grpc/PaymentCodec.ts"

const at = DateTime.makeUnsafe("2026-01-02T03:04:05.000Z")
const payment = (overrides: Partial<ConstructorParameters<typeof Payment>[0]> = {}) =>
  new Payment({
    id: PaymentId.make("pay_1"),
    orderId: OrderId.make("ord_1"),
    status: "succeeded",
    amountCents: Cents.make(1000),
    currency: Currency.make("USD"),
    method: "pm_card_visa",
    transactionId: TransactionId.make("ch_1"),
    refundedCents: Cents.make(0),
    idempotencyKey: IdempotencyKey.make("k"),
    createdAt: at,
    updatedAt: at,
    ...overrides
  })
const refund = new Refund({
  id: "re_1",
  paymentId: PaymentId.make("pay_1"),
  amountCents: Cents.make(400),
  status: "succeeded",
  transactionId: TransactionId.make("pr_1"),
  reason: "order_failed",
  idempotencyKey: IdempotencyKey.make("rk"),
  createdAt: at
})

describe("PaymentCodec", () => {
  it("encodes every payment state, partial refunds included", () => {
    const status = (p: Payment) => encodePayment(p).status
    assert.strictEqual(status(payment({ status: "pending" })), PaymentStatus.PENDING)
    assert.strictEqual(status(payment({ status: "pending_unknown" })), PaymentStatus.PENDING_UNKNOWN)
    assert.strictEqual(status(payment()), PaymentStatus.SUCCEEDED)
    assert.strictEqual(status(payment({ refundedCents: Cents.make(400) })), PaymentStatus.PARTIALLY_REFUNDED)
    assert.strictEqual(
      status(payment({ status: "refunded", refundedCents: Cents.make(1000) })),
      PaymentStatus.REFUNDED
    )
    assert.strictEqual(status(payment({ status: "failed", failureReason: "card_declined" })), PaymentStatus.FAILED)
  })

  it("encodes a payment with its refunds; absent values are empty strings", () => {
    const { transactionId: _, ...withoutCharge } = payment({ refundedCents: Cents.make(400), refunds: [refund] })
    const encoded = encodePayment(new Payment(withoutCharge))
    assert.strictEqual(encoded.providerChargeId, "")
    assert.strictEqual(encoded.failureReason, "")
    assert.strictEqual(encoded.createdAt, "2026-01-02T03:04:05.000Z")
    assert.strictEqual(encoded.refunds.length, 1)
    assert.strictEqual(encoded.refunds[0]!.status, RefundStatus.SUCCEEDED)
    assert.strictEqual(encoded.refunds[0]!.currency, "USD")
    assert.strictEqual(encoded.refunds[0]!.amountCents, 400)
  })

  it.effect("decodes commands; an unset refund amount stays unset", () =>
    Effect.gen(function*() {
      const command = yield* decodeCharge({
        orderId: "ord_1",
        amountCents: 5,
        currency: "usd",
        paymentMethod: "credit_card",
        idempotencyKey: "k"
      })
      assert.strictEqual(command.orderId, "ord_1")
      const refundCommand = yield* decodeRefund({ paymentId: "pay_1", idempotencyKey: "k", reason: "" })
      assert.isUndefined(refundCommand.amountCents)
    }))

  it.effect("a lookup needs a payment id or an order id", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* decodeLookup({ paymentId: "pay_1" }), { paymentId: PaymentId.make("pay_1") })
      assert.deepStrictEqual(yield* decodeLookup({ orderId: "ord_1" }), { orderId: OrderId.make("ord_1") })
      const error = yield* Effect.flip(decodeLookup({}))
      assert.strictEqual(error._tag, "ValidationError")
    }))

  it.effect("malformed charges are ValidationErrors naming the field; the currency is normalised", () =>
    Effect.gen(function*() {
      const valid = {
        orderId: "ord_1",
        amountCents: 100,
        currency: "usd",
        paymentMethod: "credit_card",
        idempotencyKey: "k"
      }
      assert.strictEqual((yield* decodeCharge(valid)).currency, "USD")
      const field = (overrides: Partial<typeof valid>) =>
        Effect.map(Effect.flip(decodeCharge({ ...valid, ...overrides })), (e) => e.field)
      assert.strictEqual(yield* field({ orderId: "42" }), "order_id")
      assert.strictEqual(yield* field({ amountCents: 0 }), "amount_cents")
      assert.strictEqual(yield* field({ amountCents: 1.5 }), "amount_cents")
      assert.strictEqual(yield* field({ amountCents: 100_000_000 }), "amount_cents")
      assert.strictEqual(yield* field({ currency: "dollars" }), "currency")
      assert.strictEqual(yield* field({ paymentMethod: "" }), "payment_method")
      assert.strictEqual(yield* field({ idempotencyKey: "" }), "idempotency_key")
    }))
})
