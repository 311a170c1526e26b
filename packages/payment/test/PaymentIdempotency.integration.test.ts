import { assert, describe, it } from "@effect/vitest"
import * as grpc from "@grpc/grpc-js"
import { PaymentStatus, RefundStatus } from "@shop/proto/payment/v1/payment"
import { Effect } from "effect"
import { paymentRequest, startPaymentApp } from "./fixtures/PaymentTestApp.ts"

describe("payment service: idempotency (real storage, simulator, gRPC)", () => {
  it.live("1,000 concurrent ProcessPayment with one key charge the card exactly once", () =>
    Effect.gen(function*() {
      const app = yield* startPaymentApp()
      const request = paymentRequest()
      const results = yield* Effect.forEach(
        Array.from({ length: 1000 }),
        () => Effect.result(app.process(request)),
        { concurrency: "unbounded" }
      )
      const ledger = yield* app.simulator.ledger
      assert.strictEqual(ledger.totals.charge_count, 1)
      assert.deepStrictEqual(ledger.totals.by_order, { [request.orderId]: 1 })
      const paymentIds = new Set<string>()
      for (const result of results) {
        if (result._tag === "Success") {
          assert.strictEqual(result.success.payment?.status, PaymentStatus.SUCCEEDED)
          paymentIds.add(result.success.payment!.paymentId)
        } else {
          assert.strictEqual(result.failure._tag, "RequestInProgress")
        }
      }
      assert.isAtLeast(results.filter((r) => r._tag === "Success").length, 1)
      assert.strictEqual(paymentIds.size, 1, "every answer names the same payment")
      // Once settled, a repeat replays the stored result.
      const again = yield* app.process(request)
      assert.isTrue(again.replayed)
      assert.isTrue(paymentIds.has(again.payment!.paymentId))
      assert.strictEqual((yield* app.simulator.ledger).totals.charge_count, 1)
    }), 120_000)

  it.live(
    "the same key with another body is IdempotencyKeyReused; another caller's key is its own",
    () =>
      Effect.gen(function*() {
        const app = yield* startPaymentApp()
        const first = paymentRequest()
        yield* app.process(first)
        const reused = yield* Effect.flip(app.process({ ...first, amountCents: first.amountCents + 1 }))
        assert.strictEqual(reused._tag, "IdempotencyKeyReused")
        const otherOrder = yield* Effect.flip(app.process({ ...first, orderId: paymentRequest().orderId }))
        assert.strictEqual(otherOrder._tag, "IdempotencyKeyReused")
        // Another caller with the same key and body is a separate request, yet the order is charged only once.
        const other = yield* app.process(first, "gateway")
        assert.isTrue(other.replayed)
        // The scope is the verified identity: claiming another caller in metadata changes nothing. Scoped to
        // "order", this body would be IdempotencyKeyReused; scoped to the gateway it is a new request for an order
        // already charged another amount: a Conflict.
        const second = paymentRequest()
        yield* app.process(second)
        const claimed = new grpc.Metadata()
        claimed.set("x-caller", "order")
        const impostor = yield* Effect.flip(app.process({ ...second, amountCents: 5 }, "gateway", claimed))
        assert.strictEqual(impostor._tag, "Conflict")
        assert.strictEqual(other.payment?.status, PaymentStatus.SUCCEEDED)
        assert.strictEqual((yield* app.simulator.ledger).totals.charge_count, 2)
      }),
    60_000
  )

  it.live(
    "one payment per order: a new key for a charged order returns the existing payment",
    () =>
      Effect.gen(function*() {
        const app = yield* startPaymentApp()
        const first = paymentRequest()
        const a = yield* app.process(first)
        assert.isFalse(a.replayed)
        const b = yield* app.process({ ...first, idempotencyKey: "a-different-key" })
        assert.isTrue(b.replayed)
        assert.strictEqual(b.payment?.paymentId, a.payment?.paymentId)
        const conflicting = yield* Effect.flip(app.process({ ...first, idempotencyKey: "k3", amountCents: 5 }))
        assert.strictEqual(conflicting._tag, "Conflict")
        const ledger = yield* app.simulator.ledger
        assert.deepStrictEqual(ledger.totals.by_order, { [first.orderId]: 1 })
        const byOrder = yield* app.get({ orderId: first.orderId })
        assert.strictEqual(byOrder.payment?.paymentId, a.payment?.paymentId)
      }),
    60_000
  )

  it.live(
    "a decline is PaymentDeclined, the payment failed, and a repeat declines without charging again",
    () =>
      Effect.gen(function*() {
        const app = yield* startPaymentApp()
        const request = paymentRequest({ paymentMethod: "pm_card_chargeDeclined" })
        const declined = yield* Effect.flip(app.process(request))
        assert.strictEqual(declined._tag, "PaymentDeclined")
        const again = yield* Effect.flip(app.process(request))
        assert.strictEqual(again._tag, "PaymentDeclined")
        const payment = yield* app.get({ orderId: request.orderId })
        assert.strictEqual(payment.payment?.status, PaymentStatus.FAILED)
        assert.strictEqual(payment.payment?.failureReason, "card_declined")
        const ledger = yield* app.simulator.ledger
        assert.strictEqual(ledger.totals.charge_count, 0)
        assert.strictEqual(ledger.totals.failed_count, 1)
      }),
    60_000
  )

  it.live(
    "refunds are idempotent: two refunds with one key are one refund in the ledger",
    () =>
      Effect.gen(function*() {
        const app = yield* startPaymentApp()
        const charged = yield* app.process(paymentRequest({ amountCents: 5000 }))
        const paymentId = charged.payment!.paymentId
        const partial = { paymentId, idempotencyKey: "refund-1", amountCents: 2000 }
        const [r1, r2] = yield* Effect.all([app.refund(partial), app.refund(partial)], { concurrency: 1 })
        assert.strictEqual(r1.refund?.status, RefundStatus.SUCCEEDED)
        assert.isFalse(r1.replayed)
        assert.isTrue(r2.replayed)
        assert.strictEqual(r2.refund?.refundId, r1.refund?.refundId)
        assert.strictEqual(r2.payment?.status, PaymentStatus.PARTIALLY_REFUNDED)
        assert.strictEqual(r2.payment?.refundedCents, 2000)
        let ledger = yield* app.simulator.ledger
        assert.strictEqual(ledger.totals.refund_count, 1)
        assert.strictEqual(ledger.totals.refunded, 2000)

        const reused = yield* Effect.flip(app.refund({ ...partial, amountCents: 100 }))
        assert.strictEqual(reused._tag, "IdempotencyKeyReused")
        const tooMuch = yield* Effect.flip(app.refund({ paymentId, idempotencyKey: "refund-2", amountCents: 3001 }))
        assert.strictEqual(tooMuch._tag, "Conflict")

        // The rest, concurrently under one key: still one refund.
        const rest = { paymentId, idempotencyKey: "refund-rest" }
        const results = yield* Effect.forEach(Array.from({ length: 20 }), () => Effect.result(app.refund(rest)), {
          concurrency: "unbounded"
        })
        for (const result of results) {
          if (result._tag === "Failure") assert.strictEqual(result.failure._tag, "RequestInProgress")
        }
        const final = yield* app.get({ paymentId })
        assert.strictEqual(final.payment?.status, PaymentStatus.REFUNDED)
        assert.strictEqual(final.payment?.refundedCents, 5000)
        assert.strictEqual(final.payment?.refunds.length, 2)
        ledger = yield* app.simulator.ledger
        assert.strictEqual(ledger.totals.refund_count, 2)
        assert.strictEqual(ledger.totals.refunded, 5000)
        const afterFull = yield* Effect.flip(app.refund({ paymentId, idempotencyKey: "refund-3" }))
        assert.strictEqual(afterFull._tag, "Conflict")
      }),
    60_000
  )

  it.live(
    "refunding a payment that did not succeed is refused; unknown ids are NotFound",
    () =>
      Effect.gen(function*() {
        const app = yield* startPaymentApp()
        const request = paymentRequest({ paymentMethod: "pm_card_insufficientFunds" })
        yield* Effect.flip(app.process(request))
        const failed = yield* app.get({ orderId: request.orderId })
        const refused = yield* Effect.flip(app.refund({ paymentId: failed.payment!.paymentId, idempotencyKey: "r" }))
        assert.strictEqual(refused._tag, "Conflict")
        const missing = yield* Effect.flip(app.refund({ paymentId: "pay_missing", idempotencyKey: "r2" }))
        assert.strictEqual(missing._tag, "NotFound")
        assert.strictEqual((yield* Effect.flip(app.get({ paymentId: "pay_missing" })))._tag, "NotFound")
        assert.strictEqual((yield* app.simulator.ledger).totals.refund_count, 0)
      }),
    60_000
  )
})
