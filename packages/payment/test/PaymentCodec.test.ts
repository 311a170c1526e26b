import { assert, describe, it } from "@effect/vitest"
import { PaymentStatus, RefundStatus } from "@shop/proto/payment/v1/payment"
import { Effect } from "effect"
import { fromPayment, toLookup, toProcessPayment, toRefundPayment } from "../src/grpc/PaymentCodec.ts"
import type { PaymentRecord, RefundRecord } from "../src/PaymentRecord.ts"
import { validateProcess } from "../src/Payments.ts"

const at = new Date("2026-01-02T03:04:05.000Z")
const payment = (overrides: Partial<PaymentRecord> = {}): PaymentRecord => ({
  id: "pay_1",
  orderId: "ord_1",
  status: "succeeded",
  amountCents: 1000,
  currency: "USD",
  paymentMethod: "pm_card_visa",
  providerChargeId: "ch_1",
  providerIdempotencyKey: "charge:ord_1",
  failureReason: undefined,
  refundedCents: 0,
  idempotencyKey: "k",
  createdAt: at,
  updatedAt: at,
  ...overrides
})
const refund: RefundRecord = {
  id: "re_1",
  paymentId: "pay_1",
  seq: 1,
  amountCents: 400,
  status: "succeeded",
  providerRefundId: "pr_1",
  providerIdempotencyKey: "refund:pay_1:1",
  failureReason: undefined,
  reason: "order_failed",
  idempotencyKey: "rk",
  createdAt: at
}

describe("PaymentCodec", () => {
  it("encodes every payment state, partial refunds included", () => {
    const status = (p: PaymentRecord) => fromPayment({ payment: p, refunds: [] }).status
    assert.strictEqual(status(payment({ status: "pending" })), PaymentStatus.PENDING)
    assert.strictEqual(status(payment({ status: "pending_unknown" })), PaymentStatus.PENDING_UNKNOWN)
    assert.strictEqual(status(payment()), PaymentStatus.SUCCEEDED)
    assert.strictEqual(status(payment({ refundedCents: 400 })), PaymentStatus.PARTIALLY_REFUNDED)
    assert.strictEqual(status(payment({ status: "refunded", refundedCents: 1000 })), PaymentStatus.REFUNDED)
    assert.strictEqual(status(payment({ status: "failed", failureReason: "card_declined" })), PaymentStatus.FAILED)
  })

  it("encodes a payment with its refunds; absent values are empty strings", () => {
    const encoded = fromPayment({
      payment: payment({ providerChargeId: undefined, refundedCents: 400 }),
      refunds: [refund]
    })
    assert.strictEqual(encoded.providerChargeId, "")
    assert.strictEqual(encoded.failureReason, "")
    assert.strictEqual(encoded.createdAt, "2026-01-02T03:04:05.000Z")
    assert.strictEqual(encoded.refunds.length, 1)
    assert.strictEqual(encoded.refunds[0]!.status, RefundStatus.SUCCEEDED)
    assert.strictEqual(encoded.refunds[0]!.currency, "USD")
    assert.strictEqual(encoded.refunds[0]!.amountCents, 400)
  })

  it("decodes commands with the caller from metadata; an unset refund amount stays unset", () => {
    const cmd = toProcessPayment({
      orderId: "ord_1",
      amountCents: 5,
      currency: "usd",
      paymentMethod: "credit_card",
      idempotencyKey: "k"
    }, "order")
    assert.strictEqual(cmd.caller, "order")
    assert.isUndefined(toRefundPayment({ paymentId: "pay_1", idempotencyKey: "k", reason: "" }, "x").amountCents)
  })

  it.effect("a lookup needs a payment id or an order id", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* toLookup({ paymentId: "pay_1" }), { paymentId: "pay_1" })
      assert.deepStrictEqual(yield* toLookup({ orderId: "ord_1" }), { orderId: "ord_1" })
      const error = yield* Effect.flip(toLookup({}))
      assert.strictEqual(error._tag, "ValidationError")
    }))

  it.effect("malformed charges are ValidationErrors naming the field; the currency is normalised", () =>
    Effect.gen(function*() {
      const valid = {
        caller: "order",
        orderId: "ord_1",
        amountCents: 100,
        currency: "usd",
        paymentMethod: "credit_card",
        idempotencyKey: "k"
      }
      assert.strictEqual((yield* validateProcess(valid)).currency, "USD")
      const field = (overrides: Partial<typeof valid>) =>
        Effect.map(Effect.flip(validateProcess({ ...valid, ...overrides })), (e) => e.field)
      assert.strictEqual(yield* field({ orderId: "42" }), "order_id")
      assert.strictEqual(yield* field({ amountCents: 0 }), "amount_cents")
      assert.strictEqual(yield* field({ amountCents: 1.5 }), "amount_cents")
      assert.strictEqual(yield* field({ currency: "dollars" }), "currency")
      assert.strictEqual(yield* field({ paymentMethod: "" }), "payment_method")
      assert.strictEqual(yield* field({ idempotencyKey: "" }), "idempotency_key")
    }))
})
