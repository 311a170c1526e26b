import { ServiceUnavailable } from "@shop/domain"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, Effect, Layer, Option } from "effect"
import { GuardedGateway } from "./GuardedGateway.ts"
import type { KeyResult } from "./IdempotencyStore.ts"
import type { ProviderCharge } from "./PaymentGateway.ts"
import { countPayment } from "./PaymentMetrics.ts"
import type { PaymentRecord } from "./PaymentRecord.ts"
import { PaymentRepo } from "./PaymentRepo.ts"
import type { ProviderUnavailable } from "./ProviderError.ts"

/**
 * A payment this request inserted a moment ago: its insert stamped the attempt's start (`updated_at`), so the charge
 * is sent without a second write first; its request's `keyResult` is stored by the statement that settles it (see
 * `PaymentRepo.settle`), which every outcome but a failure of the call itself reaches.
 */
export interface Inserted {
  readonly keyResult: KeyResult
}

const toUnavailable = (error: ProviderUnavailable) =>
  new ServiceUnavailable({ service: "payment-provider", detail: error.detail })

/**
 * Moves a payment towards a final state by talking to the processor, always under the payment's own processor key
 * (`charge:<order_id>`), so no path here can charge an order twice. Only the processor's definite answer settles a
 * payment: a charge it executed (or replays), or a refusal; a timeout, a lost reply, a 5xx, a 409 "in progress" or
 * "not found (yet)" leave the outcome unknown, and it is asked again later, without end.
 */
export class Settlement extends Context.Service<Settlement, {
  /**
   * Sends the charge; a retryable failure that outlives its retries leaves the payment pending_unknown. Fails only
   * when the processor cannot be asked at all or the settlement cannot be stored, and `keyResult` is then not stored
   * (a charge sent but not stored leaves the payment pending, for the reconciler).
   */
  readonly charge: (payment: PaymentRecord, inserted?: Inserted) => Effect.Effect<PaymentRecord, ServiceUnavailable>
  /**
   * Asks the processor what became of the charge: by its key, and, with `resend`, by sending the very same request
   * again when the key is not known yet (the processor executes it once, or answers in progress, or replays the
   * first outcome). A payment whose outcome stays unknown is returned unchanged.
   */
  readonly reconcile: (
    payment: PaymentRecord,
    options: { readonly resend: boolean }
  ) => Effect.Effect<PaymentRecord, ServiceUnavailable>
}>()("payment/Settlement") {
  static readonly layer = Layer.effect(
    Settlement,
    Effect.gen(function*() {
      const repo = yield* PaymentRepo
      const gateway = yield* GuardedGateway

      const settleCharge = traced("Settlement.settleCharge")(
        function*(payment: PaymentRecord, known: ProviderCharge, keyResult?: KeyResult) {
          if (known.status === "succeeded") {
            yield* countPayment("succeeded")
            return yield* repo.settle(payment.id, { status: "succeeded", providerChargeId: known.id }, keyResult)
          }
          yield* countPayment("declined")
          return yield* repo.settle(payment.id, {
            status: "failed",
            providerChargeId: known.id,
            failureReason: known.failureCode ?? "card_declined"
          }, keyResult)
        }
      )

      // Stamps the attempt's start, so that the reconciler leaves the payment alone while it is sent; None when the
      // payment was settled meanwhile (e.g. by the reconciler), and then nothing may be sent any more.
      const begin = (unsettled: PaymentRecord, inserted: Inserted | undefined) =>
        inserted === undefined ? repo.beginAttempt(unsettled.id) : Effect.succeedSome(unsettled)

      const charge = traced("Settlement.charge")(function*(unsettled: PaymentRecord, inserted?: Inserted) {
        yield* Effect.annotateCurrentSpan({ "payment.id": unsettled.id, "order.id": unsettled.orderId })
        const started = yield* begin(unsettled, inserted)
        if (Option.isNone(started)) return Option.getOrElse(yield* repo.findById(unsettled.id), () => unsettled)
        const payment = started.value
        const keyResult = inserted?.keyResult
        const result = yield* gateway.charge({
          orderId: payment.orderId,
          amountCents: payment.amountCents,
          currency: payment.currency,
          paymentMethod: payment.paymentMethod,
          idempotencyKey: payment.providerIdempotencyKey
        }).pipe(Effect.result)
        if (result._tag === "Success") return yield* settleCharge(payment, result.success, keyResult)
        const error = result.failure
        switch (error._tag) {
          case "ProviderDeclined":
            yield* countPayment("declined")
            return yield* repo.settle(payment.id, { status: "failed", failureReason: error.code }, keyResult)
          case "ProviderPermanent":
            // The processor refused the request itself (4xx): it was not executed and never will be.
            yield* countPayment("failed")
            yield* Effect.logWarning("the processor rejected a charge", error.message)
            return yield* repo.settle(payment.id, {
              status: "failed",
              failureReason: `provider_rejected:${error.code}`
            }, keyResult)
          case "ProviderRetryable":
            if (payment.status !== "pending_unknown") yield* countPayment("pending_unknown")
            yield* Effect.logWarning("charge outcome unknown; the processor will be asked again", error.detail).pipe(
              Effect.annotateLogs({ payment_id: payment.id, kind: error.kind })
            )
            return yield* repo.settle(payment.id, { status: "pending_unknown" }, keyResult)
          case "ProviderUnavailable":
            return yield* toUnavailable(error)
        }
      })

      const reconcile = traced("Settlement.reconcile")(function*(
        payment: PaymentRecord,
        options: { readonly resend: boolean }
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
          const settled = yield* settleCharge(payment, found.success.value)
          yield* Effect.logInfo(`reconciled payment ${payment.id}: ${settled.status}`)
          return settled
        }
        // Not known (yet) is no answer: the charge may still be running. The same request again is.
        return options.resend ? yield* charge(payment) : payment
      })

      return Settlement.of({ charge, reconcile })
    })
  )
}
