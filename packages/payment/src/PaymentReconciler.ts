import * as Backoff from "@shop/service-defaults/resilience/Backoff"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Clock, Effect, Layer, Metric, Schedule } from "effect"
import { PaymentConfig } from "./PaymentConfig.ts"
import { refundsParked, unknownOutcomeOldestSeconds, unknownOutcomes } from "./PaymentMetrics.ts"
import { PaymentRepo } from "./PaymentRepo.ts"
import { RefundRepo } from "./RefundRepo.ts"
import { Refunds } from "./Refunds.ts"
import { Settlement } from "./Settlement.ts"

/**
 * One reconciliation pass. Every payment whose outcome is due to be asked about (pending_unknown, or pending with a
 * request that died) is asked: by its processor key, then by sending the very same request again. Only a definite
 * answer settles it; otherwise it is asked again after a backoff capped at RECONCILE_BACKOFF_CAP, without end. Pending
 * refunds whose next attempt has come are sent again under their own processor key. The unknown outcomes and the
 * parked refunds are exported as gauges for alerting.
 */
export const reconcileOnce = traced("PaymentReconciler.reconcileOnce")(function*() {
  const config = yield* PaymentConfig
  const payments = yield* PaymentRepo
  const refundRepo = yield* RefundRepo
  const settlement = yield* Settlement
  const refunds = yield* Refunds
  const backoff: Backoff.Backoff = {
    base: config.reconcileBackoffBase,
    cap: config.reconcileBackoffCap,
    jitter: "equal"
  }

  const due = yield* payments.dueForCheck(config.idempotencyLock, config.reconcileBatch)
  let settled = 0
  for (const payment of due) {
    const after = yield* settlement.reconcile(payment, { resend: true }).pipe(
      Effect.catchTag("ServiceUnavailable", () => Effect.succeed(payment))
    )
    if (after.status === "pending" || after.status === "pending_unknown") {
      yield* payments.scheduleCheck(payment.id, yield* Backoff.delay(backoff, payment.checks + 1))
    } else {
      settled++
    }
  }
  for (const refund of yield* refundRepo.dueRefunds(config.reconcileBatch)) {
    yield* refunds.send(refund).pipe(
      Effect.catchCause((cause) => Effect.logWarning("pending refund not sent yet; retrying later", cause))
    )
  }

  const unknown = yield* payments.unknownOutcomes
  const now = yield* Clock.currentTimeMillis
  yield* Metric.update(unknownOutcomes, unknown.count)
  yield* Metric.update(
    unknownOutcomeOldestSeconds,
    unknown.oldest === undefined ? 0 : (now - unknown.oldest.getTime()) / 1000
  )
  yield* Metric.update(refundsParked, (yield* refundRepo.parkedRefunds).length)
  return { examined: due.length, settled }
})

/** Runs {@link reconcileOnce} every RECONCILE_INTERVAL in a background fiber that lives as long as the layer. */
export const PaymentReconciler = Layer.effectDiscard(Effect.gen(function*() {
  const config = yield* PaymentConfig
  const pass = reconcileOnce().pipe(
    Effect.tap(({ examined, settled }) =>
      examined > 0 ? Effect.logInfo("reconciliation pass", { examined, settled }) : Effect.void
    ),
    Effect.catchCause((cause) => Effect.logError("reconciliation pass failed", cause))
  )
  yield* pass.pipe(Effect.repeat(Schedule.spaced(config.reconcileInterval)), Effect.forkScoped)
}))
