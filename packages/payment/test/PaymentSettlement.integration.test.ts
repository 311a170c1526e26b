import { assert, describe, it } from "@effect/vitest"
import { PaymentStatus, RefundStatus } from "@shop/proto/payment/v1/payment"
import { Context, Duration, Effect, Fiber, Metric, Option, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import { compareLedgerOnce } from "../src/LedgerReconciler.ts"
import { reconciliationRepairs, refundsParked } from "../src/PaymentMetrics.ts"
import { reconcileOnce } from "../src/PaymentReconciler.ts"
import { RefundRepo } from "../src/RefundRepo.ts"
import { paymentRequest, startPaymentApp } from "./fixtures/PaymentTestApp.ts"
import { chargeBody } from "./simulator/client.ts"

type App = Effect.Success<ReturnType<typeof startPaymentApp>>

const statusOf = (app: App, orderId: string) => Effect.map(app.get({ orderId }), (reply) => reply.payment!.status)

/** The processor's own books for one order: charged minus refunded. */
const netCharge = (app: App, orderId: string) =>
  Effect.map(app.simulator.ledger, (ledger: any) => {
    const charges = ledger.charges.filter((c: any) => c.order_id === orderId && c.status === "succeeded")
    const ids = new Set(charges.map((c: any) => c.id))
    const refunded = ledger.refunds.filter((r: any) => ids.has(r.charge)).reduce((n: number, r: any) => n + r.amount, 0)
    return { charges: charges.length, net: charges.reduce((n: number, c: any) => n + c.amount, 0) - refunded }
  })

const quick = {
  attemptTimeout: Duration.millis(300),
  maxRetries: 1,
  reconcileInterval: Duration.millis(200),
  reconcileBackoffBase: Duration.millis(100),
  reconcileBackoffCap: Duration.millis(400),
  breakerFailureThreshold: 1000
}

describe("payment service: outcomes settled only by the processor (real storage, simulator, gRPC)", () => {
  it.live(
    "latency beyond every timeout: unknown, never failed, while the processor runs the charge; then succeeded, once",
    () =>
      Effect.gen(function*() {
        const app = yield* startPaymentApp({ faults: { latency_ms: 2500 }, config: quick })
        const request = paymentRequest()
        const first = yield* app.process(request)
        assert.strictEqual(first.payment?.status, PaymentStatus.PENDING_UNKNOWN)
        // The reconciler asks again and again (a 409 "in progress", or its own timeout) while the charge runs.
        const seen = new Set<string>()
        const watch = yield* statusOf(app, request.orderId).pipe(
          Effect.tap((status) => Effect.sync(() => seen.add(status))),
          Effect.repeat(Schedule.spaced("100 millis")),
          Effect.forkChild
        )
        yield* Effect.sleep("1500 millis")
        yield* app.simulator.setFaults({})
        const settled = yield* statusOf(app, request.orderId).pipe(
          Effect.repeat({
            schedule: Schedule.spaced("100 millis"),
            until: (s) => s !== PaymentStatus.PENDING_UNKNOWN,
            times: 200
          })
        )
        yield* Fiber.interrupt(watch)
        assert.strictEqual(settled, PaymentStatus.SUCCEEDED)
        assert.isFalse(seen.has(PaymentStatus.FAILED), "an unknown outcome is never turned into a failure")
        assert.deepStrictEqual(yield* netCharge(app, request.orderId), { charges: 1, net: request.amountCents })
      }),
    60_000
  )

  it.live(
    "cancelling an order with no payment voids it: every later charge is declined, nothing is charged",
    () =>
      Effect.gen(function*() {
        const app = yield* startPaymentApp({ config: quick })
        const request = paymentRequest()
        const cancelled = yield* app.cancel(request)
        assert.isTrue(cancelled.settled)
        assert.strictEqual(cancelled.payment?.status, PaymentStatus.FAILED)
        const late = yield* Effect.flip(app.process(request))
        assert.strictEqual(late._tag, "PaymentDeclined")
        assert.deepStrictEqual(yield* netCharge(app, request.orderId), { charges: 0, net: 0 })
      }),
    60_000
  )

  it.live(
    "cancelling a charged order is settled only once the processor confirmed the refund",
    () =>
      Effect.gen(function*() {
        const app = yield* startPaymentApp({ config: quick })
        const request = paymentRequest()
        assert.strictEqual((yield* app.process(request)).payment?.status, PaymentStatus.SUCCEEDED)
        yield* app.simulator.setFaults({ error_rate: 1 })
        const refused = yield* app.cancel(request)
        assert.isFalse(refused.settled, "a refund the processor has not confirmed settles nothing")
        assert.strictEqual(refused.payment?.refunds[0]?.status, RefundStatus.PENDING)
        assert.strictEqual(refused.payment?.refundedCents, 0)
        yield* app.simulator.setFaults({})
        const again = yield* app.cancel(request)
        assert.isTrue(again.settled)
        assert.strictEqual(again.payment?.status, PaymentStatus.REFUNDED)
        assert.deepStrictEqual(yield* netCharge(app, request.orderId), { charges: 1, net: 0 })
      }),
    60_000
  )

  it.live(
    "cancelling while the outcome is unknown answers unsettled: it never assumes either way",
    () =>
      Effect.gen(function*() {
        const app = yield* startPaymentApp({ faults: { hang_rate: 1 }, config: quick })
        const request = paymentRequest()
        assert.strictEqual((yield* app.process(request)).payment?.status, PaymentStatus.PENDING_UNKNOWN)
        const waiting = yield* app.cancel(request)
        assert.isFalse(waiting.settled)
        assert.strictEqual(waiting.payment?.status, PaymentStatus.PENDING_UNKNOWN)
      }),
    60_000
  )

  it.live(
    "a refund the processor keeps refusing is parked, counted, and sent again on an operator's word",
    () =>
      Effect.gen(function*() {
        const app = yield* startPaymentApp({ config: { ...quick, refundMaxAttempts: 2 } })
        const request = paymentRequest()
        const charged = yield* app.process(request)
        // Someone refunds part of the charge at the processor, so our full refund is refused as too large.
        yield* app.simulator.refund({ charge: charged.payment!.providerChargeId, amount: 500 }, "dashboard-refund")
        const refusal = yield* app.cancel(request)
        assert.isFalse(refusal.settled)
        for (let round = 0; round < 20; round++) {
          yield* Effect.sleep("150 millis")
          yield* reconcileOnce().pipe(Effect.provide(app.context))
        }
        const refunds = Context.get(app.context, RefundRepo)
        const parked = yield* refunds.parkedRefunds
        assert.strictEqual(parked.length, 1)
        assert.match(parked[0]!.lastError ?? "", /amount_too_large|greater than/)
        assert.strictEqual((yield* Metric.value(refundsParked)).value, 1)
        assert.isTrue(yield* refunds.unparkRefund(parked[0]!.id))
        assert.strictEqual(Option.getOrThrow(yield* refunds.findRefund(parked[0]!.id)).status, "pending")
      }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())),
    60_000
  )

  it.live(
    "the ledger comparison refunds a charge no payment knows, and one on a payment marked failed",
    () =>
      Effect.gen(function*() {
        const app = yield* startPaymentApp({ config: { ...quick, ledgerDelay: Duration.zero } })
        // A charge made at the processor for an order the payment service never saw.
        const orphan = paymentRequest()
        yield* app.simulator.charge(chargeBody(orphan.orderId), `charge:${orphan.orderId}`)
        // A payment an earlier version failed as "never processed" although the processor charged it.
        const late = paymentRequest()
        assert.strictEqual((yield* app.process(late)).payment?.status, PaymentStatus.SUCCEEDED)
        yield* SqlClient.SqlClient.use((sql) =>
          sql`UPDATE payments SET status = 'failed', failure_reason = 'not_processed' WHERE order_id = ${late.orderId}`
        ).pipe(Effect.provide(app.context), Effect.orDie)
        yield* Effect.sleep("1100 millis") // charges are listed by whole seconds
        const pass = yield* compareLedgerOnce().pipe(Effect.provide(app.context))
        assert.isAtLeast(pass.examined, 2)
        assert.deepStrictEqual(yield* netCharge(app, orphan.orderId), { charges: 1, net: 0 })
        assert.deepStrictEqual(yield* netCharge(app, late.orderId), { charges: 1, net: 0 })
        const kind = (k: string) => Metric.value(Metric.withAttributes(reconciliationRepairs, { kind: k }))
        assert.strictEqual((yield* kind("orphan_charge")).count, 1)
        assert.strictEqual((yield* kind("charge_on_failed_payment")).count, 1)
        // The orphan's order can no longer be charged: a charge request finds its refunded payment, nothing more.
        const retried = yield* app.process(orphan).pipe(Effect.map((reply) => reply.payment?.status), Effect.option)
        assert.notDeepEqual(retried, Option.some(PaymentStatus.SUCCEEDED))
        assert.deepStrictEqual(yield* netCharge(app, orphan.orderId), { charges: 1, net: 0 })
        yield* compareLedgerOnce().pipe(Effect.provide(app.context))
        assert.strictEqual((yield* kind("orphan_charge")).count, 1)
        assert.strictEqual((yield* kind("charge_on_failed_payment")).count, 1)
      }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())),
    60_000
  )
})
