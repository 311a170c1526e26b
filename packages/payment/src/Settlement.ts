import { ServiceUnavailable } from "@shop/domain"
import { Context, Duration, Effect, Layer, Option } from "effect"
import { GuardedGateway } from "./GuardedGateway.ts"
import { countPayment } from "./PaymentMetrics.ts"
import type { PaymentRecord } from "./PaymentRecord.ts"
import { notProcessed, PaymentRepo } from "./PaymentRepo.ts"
import type { ProviderUnavailable } from "./ProviderError.ts"

const toUnavailable = (error: ProviderUnavailable) =>
  new ServiceUnavailable({ service: "payment-provider", detail: error.detail })

/**
 * Moves a payment towards a final state by talking to the processor, always under the payment's own processor key
 * (`charge:<order_id>`), so no path here can charge an order twice.
 */
export class Settlement extends Context.Service<Settlement, {
  /** Sends the charge; a retryable failure that outlives its retries leaves the payment pending_unknown. */
  readonly charge: (payment: PaymentRecord) => Effect.Effect<PaymentRecord, ServiceUnavailable>
  /**
   * Asks the processor what happened to the charge. Not found and idle for at least `failAfter` -> failed (the
   * processor never processed it); not found sooner, or the processor unreachable -> unchanged.
   */
  readonly reconcile: (
    payment: PaymentRecord,
    failAfter: Option.Option<Duration.Duration>
  ) => Effect.Effect<PaymentRecord, ServiceUnavailable>
}>()("payment/Settlement") {
  static readonly layer = Layer.effect(
    Settlement,
    Effect.gen(function*() {
      const repo = yield* PaymentRepo
      const gateway = yield* GuardedGateway

      const charge = Effect.fn("Settlement.charge")(function*(unsettled: PaymentRecord) {
        yield* Effect.annotateCurrentSpan({ "payment.id": unsettled.id, "order.id": unsettled.orderId })
        const started = yield* repo.beginAttempt(unsettled.id)
        // Settled meanwhile (e.g. by the reconciler): nothing may be sent any more.
        if (Option.isNone(started)) return Option.getOrElse(yield* repo.findById(unsettled.id), () => unsettled)
        const payment = started.value
        const result = yield* gateway.charge({
          orderId: payment.orderId,
          amountCents: payment.amountCents,
          currency: payment.currency,
          paymentMethod: payment.paymentMethod,
          idempotencyKey: payment.providerIdempotencyKey
        }).pipe(Effect.result)
        if (result._tag === "Success") {
          const accepted = result.success
          if (accepted.status === "succeeded") {
            yield* countPayment("succeeded")
            return yield* repo.settle(payment.id, { status: "succeeded", providerChargeId: accepted.id })
          }
          yield* countPayment("declined")
          return yield* repo.settle(payment.id, {
            status: "failed",
            providerChargeId: accepted.id,
            failureReason: accepted.failureCode ?? "card_declined"
          })
        }
        const error = result.failure
        switch (error._tag) {
          case "ProviderDeclined":
            yield* countPayment("declined")
            return yield* repo.settle(payment.id, { status: "failed", failureReason: error.code })
          case "ProviderPermanent":
            yield* countPayment("failed")
            yield* Effect.logWarning("the processor rejected a charge", error.message)
            return yield* repo.settle(payment.id, {
              status: "failed",
              failureReason: `provider_rejected:${error.code}`
            })
          case "ProviderRetryable":
            yield* countPayment("pending_unknown")
            yield* Effect.logWarning("charge outcome unknown; left for reconciliation", error.detail).pipe(
              Effect.annotateLogs({ payment_id: payment.id, kind: error.kind })
            )
            return yield* repo.settle(payment.id, { status: "pending_unknown" })
          case "ProviderUnavailable":
            return yield* toUnavailable(error)
        }
      })

      const reconcile = Effect.fn("Settlement.reconcile")(function*(
        payment: PaymentRecord,
        failAfter: Option.Option<Duration.Duration>
      ) {
        if (payment.status !== "pending" && payment.status !== "pending_unknown") return payment
        const found = yield* gateway.lookupByIdempotencyKey(payment.providerIdempotencyKey).pipe(Effect.result)
        if (found._tag === "Failure") {
          const error = found.failure
          if (error._tag === "ProviderUnavailable") return yield* toUnavailable(error)
          yield* Effect.logWarning("reconciliation look-up failed", error._tag).pipe(
            Effect.annotateLogs({ payment_id: payment.id })
          )
          return payment
        }
        if (Option.isSome(found.success)) {
          const known = found.success.value
          const settled = known.status === "succeeded"
            ? yield* repo.settle(payment.id, { status: "succeeded", providerChargeId: known.id })
            : yield* repo.settle(payment.id, {
              status: "failed",
              providerChargeId: known.id,
              failureReason: known.failureCode ?? "card_declined"
            })
          yield* countPayment(known.status === "succeeded" ? "succeeded" : "declined")
          yield* Effect.logInfo(`reconciled payment ${payment.id}: ${settled.status}`)
          return settled
        }
        if (Option.isNone(failAfter)) return payment
        // Atomic with the idleness check, so an attempt that has just started is never failed under its feet.
        const failed = yield* repo.failIfIdle(payment.id, failAfter.value, notProcessed)
        if (Option.isNone(failed)) return payment
        yield* countPayment("failed")
        yield* Effect.logInfo(`reconciled payment ${payment.id}: never processed, failed`)
        return failed.value
      })

      return Settlement.of({ charge, reconcile })
    })
  )
}
