import { Effect, Layer, Option, Schedule } from "effect"
import { PaymentConfig } from "./PaymentConfig.ts"
import { PaymentRepo } from "./PaymentRepo.ts"
import { Refunds } from "./Refunds.ts"
import { Settlement } from "./Settlement.ts"

/**
 * One reconciliation pass: every pending_unknown payment (and every pending one whose request died) is looked up
 * at the processor by its processor key and settled; one the processor never saw fails after the grace period.
 * Pending refunds idle for the grace period are resent under their own processor key.
 */
export const reconcileOnce = Effect.fn("PaymentReconciler.reconcileOnce")(function*() {
  const config = yield* PaymentConfig
  const repo = yield* PaymentRepo
  const settlement = yield* Settlement
  const refunds = yield* Refunds
  const payments = yield* repo.unsettled(config.idempotencyLock, config.reconcileBatch)
  let settled = 0
  for (const payment of payments) {
    const after = yield* settlement.reconcile(payment, Option.some(config.reconcileGrace)).pipe(
      Effect.catchTag("ServiceUnavailable", () => Effect.succeed(payment))
    )
    if (after.status !== payment.status) settled++
  }
  for (const refund of yield* repo.pendingRefunds(config.reconcileGrace, config.reconcileBatch)) {
    // A refund that fails now stays pending; the next pass sends it again under the same key.
    yield* refunds.send(refund).pipe(
      Effect.catchCause((cause) => Effect.logWarning("pending refund not sent yet; retrying next pass", cause))
    )
  }
  return { examined: payments.length, settled }
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
