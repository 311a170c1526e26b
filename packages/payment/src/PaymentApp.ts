import { Layer } from "effect"
import { GuardedGateway } from "./GuardedGateway.ts"
import { IdempotencyStore } from "./IdempotencyStore.ts"
import { LedgerReconciler } from "./LedgerReconciler.ts"
import { PaymentGateway } from "./PaymentGateway.ts"
import { PaymentReconciler } from "./PaymentReconciler.ts"
import { PaymentRepo } from "./PaymentRepo.ts"
import { Payments } from "./Payments.ts"
import { ProviderBreaker } from "./ProviderBreaker.ts"
import { RefundRepo } from "./RefundRepo.ts"
import { Refunds } from "./Refunds.ts"
import { Settlement } from "./Settlement.ts"

/**
 * Payments and Refunds with the reconcilers running (unknown outcomes and refunds, and the processor's ledger), over
 * a given processor port and breaker; needs SqlClient and PaymentConfig. Tests pass fakes or the HTTP adapter here; `PaymentAppLive` is the production wiring.
 */
export const PaymentAppWith = <E, R, E2, R2>(
  gateway: Layer.Layer<PaymentGateway, E, R>,
  breaker: Layer.Layer<ProviderBreaker, E2, R2>
) => {
  const guarded = GuardedGateway.layerNoDeps.pipe(Layer.provide([gateway, breaker]))
  const settlement = Settlement.layer.pipe(Layer.provideMerge(guarded))
  const services = Payments.layer.pipe(
    Layer.provideMerge(Refunds.layer),
    Layer.provideMerge(settlement),
    Layer.provideMerge(Layer.mergeAll(PaymentRepo.layer, RefundRepo.layer, IdempotencyStore.layer))
  )
  return Layer.mergeAll(PaymentReconciler, LedgerReconciler).pipe(Layer.provideMerge(services))
}

/** The HTTP processor adapter and the breaker on Redis (REDIS_URL) or in memory. */
export const PaymentAppLive = PaymentAppWith(PaymentGateway.layer, ProviderBreaker.layer)
