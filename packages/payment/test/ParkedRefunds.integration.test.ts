import { assert, describe, it } from "@effect/vitest"
import { PaymentStatus, RefundStatus } from "@shop/proto/payment/v1/payment"
import { Duration, Effect, Metric } from "effect"
import { reconcileOnce } from "../src/PaymentReconciler.ts"
import { paymentRequest, startPaymentApp } from "./fixtures/PaymentTestApp.ts"

const quick = {
  attemptTimeout: Duration.millis(500),
  maxRetries: 0,
  reconcileBackoffBase: Duration.millis(50),
  reconcileBackoffCap: Duration.millis(200),
  breakerFailureThreshold: 1000,
  refundMaxAttempts: 2
}

describe("payment admin service: parked refunds (real storage, simulator, gRPC)", () => {
  it.live(
    "a refund the processor refuses is parked and listed; retried while refused it parks again; retried after, it is confirmed",
    () =>
      Effect.gen(function*() {
        const app = yield* startPaymentApp({ config: quick })
        const request = paymentRequest({ amountCents: 4250 })
        const charged = yield* app.process(request)
        assert.strictEqual(charged.payment?.status, PaymentStatus.SUCCEEDED)
        // The processor refuses refunds: the order's cancellation sends one, the reconciler sends it again.
        yield* app.simulator.setFaults({ refund_refusal_rate: 1 })
        assert.isFalse((yield* app.cancel(request)).settled)
        for (let round = 0; round < 10 && (yield* app.admin.parked).length === 0; round++) {
          yield* Effect.sleep("250 millis")
          yield* reconcileOnce().pipe(Effect.provide(app.context))
        }
        const [parked, ...others] = yield* app.admin.parked
        assert.isDefined(parked, "parked after REFUND_MAX_ATTEMPTS refusals")
        assert.lengthOf(others, 0)
        assert.strictEqual(parked!.orderId, request.orderId)
        assert.strictEqual(parked!.paymentId, charged.payment!.paymentId)
        assert.strictEqual(parked!.amountCents, 4250)
        assert.strictEqual(parked!.currency, "USD")
        assert.strictEqual(parked!.attempts, 2)
        assert.match(parked!.lastError, /refund_refused|Injected refusal/)
        assert.strictEqual(parked!.reason, "order_failed")

        // Still refused: the operator's attempt counts, and with one refusal it stays pending (attempt 1 of 2).
        const refusedAgain = yield* app.admin.retry(parked!.refundId)
        assert.strictEqual(refusedAgain.status, RefundStatus.PENDING)
        assert.strictEqual(refusedAgain.attempts, 1)
        assert.match(refusedAgain.lastError, /refund_refused|Injected refusal/)
        for (let round = 0; round < 10 && (yield* app.admin.parked).length === 0; round++) {
          yield* Effect.sleep("250 millis")
          yield* reconcileOnce().pipe(Effect.provide(app.context))
        }
        assert.lengthOf(yield* app.admin.parked, 1, "parked again")

        yield* app.simulator.setFaults({})
        const confirmed = yield* app.admin.retry(parked!.refundId)
        assert.deepStrictEqual(confirmed, {
          refundId: parked!.refundId,
          status: RefundStatus.SUCCEEDED,
          attempts: 0,
          lastError: ""
        })
        assert.lengthOf(yield* app.admin.parked, 0)
        const settled = yield* app.cancel(request)
        assert.isTrue(settled.settled)
        assert.strictEqual(settled.payment?.status, PaymentStatus.REFUNDED)
        const ledger: any = yield* app.simulator.ledger
        const refunded = ledger.refunds.filter((r: any) => r.charge === charged.payment!.providerChargeId)
        assert.deepStrictEqual(refunded.map((r: any) => r.amount), [4250], "given back once, in full")

        const notParked = yield* Effect.flip(app.admin.retry(parked!.refundId))
        assert.strictEqual(notParked._tag, "Conflict")
        const unknown = yield* Effect.flip(app.admin.retry("re_doesnotexist"))
        assert.strictEqual(unknown._tag, "NotFound")
        const malformed = yield* Effect.flip(app.admin.retry("not a refund"))
        assert.strictEqual(malformed._tag, "ValidationError")
      }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())),
    90_000
  )

  it.live("the processor breaker is reported as its gauge says", () =>
    Effect.gen(function*() {
      const app = yield* startPaymentApp({ config: quick })
      assert.deepStrictEqual(yield* app.admin.breaker, { dependency: "payment-provider", state: "closed" })
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())), 60_000)
})
