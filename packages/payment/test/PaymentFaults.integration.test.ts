import { assert, describe, it } from "@effect/vitest"
import { PaymentStatus } from "@shop/proto/payment/v1/payment"
import { eventually } from "@shop/service-defaults/testing/Eventually"
import { Duration, Effect, Metric, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import { circuitBreakerState, providerRetriesTotal } from "../src/PaymentMetrics.ts"
import { reconcileOnce } from "../src/PaymentReconciler.ts"
import { providerDependency } from "../src/ProviderBreaker.ts"
import { paymentRequest, startPaymentApp } from "./fixtures/PaymentTestApp.ts"

type App = Effect.Success<ReturnType<typeof startPaymentApp>>

/** Polls GetPayment until the status leaves `from` (bounded: 30 s). */
const waitForStatusChange = (app: App, orderId: string, from: string) =>
  app.get({ orderId }).pipe(
    Effect.map((reply) => reply.payment!),
    Effect.repeat({
      schedule: Schedule.spaced("100 millis"),
      until: (payment) => payment.status !== from,
      times: 300
    })
  )

const statusCounts = (app: App) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ status: string; n: unknown }>`SELECT status, COUNT(*) AS n FROM payments GROUP BY status`
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]))
  }).pipe(Effect.provide(app.context), Effect.orDie)

describe("payment service: processor faults (real storage, simulator, gRPC)", () => {
  it.live(
    "500 payments with 30 % of replies dropped: 500 charges, no duplicate, all succeeded",
    () =>
      Effect.gen(function*() {
        const app = yield* startPaymentApp({
          faults: { drop_after_charge_rate: 0.3 },
          config: { breakerFailureThreshold: 1000, attemptTimeout: Duration.seconds(5) }
        })
        const requests = Array.from({ length: 500 }, () => paymentRequest())
        const replies = yield* Effect.forEach(requests, (request) => app.process(request), { concurrency: 16 })
        for (const reply of replies) {
          assert.include([PaymentStatus.SUCCEEDED, PaymentStatus.PENDING_UNKNOWN], reply.payment?.status)
        }
        const retries = yield* Metric.value(providerRetriesTotal)
        assert.isAbove(retries.count, 50, "dropped replies were retried")
        // Payments whose every retry lost its reply are settled by the reconciler.
        for (let round = 0; round < 10 && ((yield* statusCounts(app)).pending_unknown ?? 0) > 0; round++) {
          yield* reconcileOnce().pipe(Effect.provide(app.context))
        }
        assert.deepStrictEqual(yield* statusCounts(app), { succeeded: 500 })
        const ledger = yield* app.simulator.ledger
        assert.strictEqual(ledger.totals.charge_count, 500)
        assert.strictEqual(Object.keys(ledger.totals.by_order).length, 500)
        assert.isTrue(Object.values(ledger.totals.by_order).every((n) => n === 1), "no order charged twice")
      }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())),
    240_000
  )

  it.live(
    "a hanging processor leaves pending_unknown, never failed; once it answers, the same request settles it, once",
    () =>
      Effect.gen(function*() {
        const app = yield* startPaymentApp({
          faults: { hang_rate: 1 },
          config: {
            attemptTimeout: Duration.millis(300),
            maxRetries: 1,
            reconcileInterval: Duration.millis(200),
            reconcileBackoffBase: Duration.millis(100),
            reconcileBackoffCap: Duration.millis(400),
            breakerCooldown: Duration.millis(500)
          }
        })
        const request = paymentRequest()
        const reply = yield* app.process(request)
        assert.strictEqual(reply.payment?.status, PaymentStatus.PENDING_UNKNOWN, "never failed while unknown")
        yield* Effect.sleep("1500 millis")
        assert.strictEqual(
          (yield* app.get({ orderId: request.orderId })).payment?.status,
          PaymentStatus.PENDING_UNKNOWN
        )
        yield* app.simulator.setFaults({})
        const settled = yield* waitForStatusChange(app, request.orderId, PaymentStatus.PENDING_UNKNOWN)
        // The hung charge never reached the ledger: "not found" is no answer, the very same request is. The
        // processor executes it once, and only its answer settles the payment.
        assert.strictEqual(settled.status, PaymentStatus.SUCCEEDED)
        assert.strictEqual((yield* app.simulator.ledger).totals.charge_count, 1)
      }),
    60_000
  )

  it.live(
    "a charge whose reply was lost is found by the reconciler and settled succeeded",
    () =>
      Effect.gen(function*() {
        const app = yield* startPaymentApp({
          faults: { drop_after_charge_rate: 1 },
          config: { maxRetries: 0, reconcileInterval: Duration.millis(200), reconcileBackoffBase: Duration.millis(100) }
        })
        const request = paymentRequest()
        assert.strictEqual((yield* app.process(request)).payment?.status, PaymentStatus.PENDING_UNKNOWN)
        const settled = yield* waitForStatusChange(app, request.orderId, PaymentStatus.PENDING_UNKNOWN)
        assert.strictEqual(settled.status, PaymentStatus.SUCCEEDED)
        assert.notStrictEqual(settled.providerChargeId, "")
        const again = yield* app.process(request)
        assert.strictEqual(again.payment?.status, PaymentStatus.SUCCEEDED)
        assert.strictEqual((yield* app.simulator.ledger).totals.charge_count, 1)
      }),
    60_000
  )

  it.live(
    "a repeated ProcessPayment on a pending_unknown payment reconciles first, then charges once",
    () =>
      Effect.gen(function*() {
        const app = yield* startPaymentApp({
          faults: { hang_rate: 1 },
          config: { attemptTimeout: Duration.millis(300), maxRetries: 0 }
        })
        const request = paymentRequest()
        assert.strictEqual((yield* app.process(request)).payment?.status, PaymentStatus.PENDING_UNKNOWN)
        yield* app.simulator.setFaults({})
        const again = yield* app.process(request)
        assert.strictEqual(again.payment?.status, PaymentStatus.SUCCEEDED)
        assert.isTrue(again.replayed)
        const third = yield* app.process({ ...request, idempotencyKey: "another-key" })
        assert.strictEqual(third.payment?.paymentId, again.payment?.paymentId)
        assert.strictEqual((yield* app.simulator.ledger).totals.charge_count, 1)
      }),
    60_000
  )

  it.live(
    "error rate 100 %: the breaker opens, answers ServiceUnavailable at once, and recovers after the cool-down",
    () =>
      Effect.gen(function*() {
        const threshold = 3
        const app = yield* startPaymentApp({
          faults: { error_rate: 1 },
          config: { maxRetries: 1, breakerFailureThreshold: threshold, breakerCooldown: Duration.seconds(5) }
        })
        const gauge = Metric.value(Metric.withAttributes(circuitBreakerState, { dependency: providerDependency }))
        for (let i = 0; i < threshold; i++) {
          const reply = yield* app.process(paymentRequest())
          assert.strictEqual(reply.payment?.status, PaymentStatus.PENDING_UNKNOWN)
        }
        // The gauge follows the breaker's transitions on a fiber of its own: waited for, not given a fixed pause.
        const gaugeReads = (value: number) =>
          eventually(Effect.map(gauge, (state) => state.value), (read) => read === value, "5 seconds")
        assert.strictEqual(yield* gaugeReads(2), 2, "circuit_breaker_state reads open")
        const rejected = paymentRequest()
        const error = yield* Effect.flip(app.process(rejected))
        assert.strictEqual(error._tag, "ServiceUnavailable")
        // Nothing was sent, so the payment is still pending and the caller may retry with the same key.
        assert.strictEqual((yield* app.get({ orderId: rejected.orderId })).payment?.status, PaymentStatus.PENDING)
        yield* app.simulator.setFaults({})
        assert.strictEqual((yield* Effect.flip(app.process(rejected)))._tag, "ServiceUnavailable", "still open")
        yield* Effect.sleep("5200 millis")
        const recovered = yield* app.process(rejected)
        assert.strictEqual(recovered.payment?.status, PaymentStatus.SUCCEEDED)
        assert.strictEqual(yield* gaugeReads(0), 0, "circuit_breaker_state reads closed")
        assert.strictEqual((yield* app.simulator.ledger).totals.charge_count, 1)
      }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())),
    60_000
  )
})
