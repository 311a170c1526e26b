import {
  IdempotencyKey,
  NotFound,
  type OperationError,
  type Payment,
  PaymentId,
  Price,
  type Refund,
  type ServiceUnavailable
} from "@shop/domain"
import * as Backoff from "@shop/service-defaults/resilience/Backoff"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, Effect, Exit, Layer, Option, Schema } from "effect"
import { GuardedGateway } from "./GuardedGateway.ts"
import { fingerprintOf, IdempotencyStore } from "./IdempotencyStore.ts"
import { PaymentConfig } from "./PaymentConfig.ts"
import { countPayment } from "./PaymentMetrics.ts"
import { type PaymentRecord, RefundId, type RefundRecord, toPayment, toRefund } from "./PaymentRecord.ts"
import { PaymentRepo } from "./PaymentRepo.ts"
import type { Caller } from "./Payments.ts"
import { RefundRepo } from "./RefundRepo.ts"

/** A request to refund a payment, decoded at the edge; without an amount, all that is left is refunded. */
export const RefundCommand = Schema.Struct({
  paymentId: PaymentId,
  idempotencyKey: IdempotencyKey,
  amountCents: Schema.optional(Price),
  reason: Schema.String.check(Schema.isMaxLength(200))
})
export type RefundCommand = typeof RefundCommand.Type

/** A refund, the payment after it, and whether this request was a repeat. */
export interface Refunded {
  readonly refund: Refund
  readonly payment: Payment
  readonly replayed: boolean
}

/**
 * Refunds, idempotently: the refund row (and its processor key `refund:<payment>:<seq>`) is created once per
 * idempotency key, and a refund is done only when the processor confirmed it. One the processor did not confirm is
 * sent again under the same key after a backoff (by a repeat, or by the reconciler); one it keeps refusing is
 * `parked` after REFUND_MAX_ATTEMPTS, counted and logged, until an operator sends it again (`npm run refunds`).
 */
export class Refunds extends Context.Service<Refunds, {
  readonly refund: (
    cmd: RefundCommand & Caller
  ) => Effect.Effect<Refunded, OperationError<"refundPayment"> | ServiceUnavailable>
  /** Sends a pending refund to the processor (again); one already settled or parked is left alone. */
  readonly send: (refund: RefundRecord) => Effect.Effect<RefundRecord, ServiceUnavailable>
  /**
   * Makes sure the whole payment is being given back: reserves a refund of what is left (none when pending or parked
   * refunds already cover it) and sends every pending one. `stray` also refunds a payment marked failed.
   */
  readonly refundRest: (
    payment: PaymentRecord,
    options: { readonly reason: string; readonly key: string; readonly stray?: boolean }
  ) => Effect.Effect<void, ServiceUnavailable>
}>()("payment/Refunds") {
  static readonly layer = Layer.effect(
    Refunds,
    Effect.gen(function*() {
      const payments = yield* PaymentRepo
      const refunds = yield* RefundRepo
      const store = yield* IdempotencyStore
      const gateway = yield* GuardedGateway
      const config = yield* PaymentConfig
      const backoff: Backoff.Backoff = {
        base: config.reconcileBackoffBase,
        cap: config.reconcileBackoffCap,
        jitter: "equal"
      }

      const load = (paymentId: PaymentId) =>
        Effect.flatMap(payments.findById(paymentId), (found) =>
          Option.isSome(found)
            ? Effect.succeed(found.value)
            : Effect.fail(new NotFound({ entity: "payment", id: paymentId })))
      const reload = (refund: RefundRecord) => Effect.map(refunds.findRefund(refund.id), Option.getOrElse(() => refund))

      const notConfirmed = (refund: RefundRecord, error: string, refused: boolean) =>
        Effect.gen(function*() {
          const attempts = refund.attempts + 1
          const park = refused && attempts >= config.refundMaxAttempts
          yield* refunds.refundNotConfirmed(refund.id, { error, delay: yield* Backoff.delay(backoff, attempts), park })
          if (park) {
            yield* Effect.logError("refund parked: the processor keeps refusing it; an operator must look", error)
              .pipe(Effect.annotateLogs({ refund_id: refund.id, payment_id: refund.paymentId }))
          } else {
            yield* Effect.logWarning("refund not confirmed; it will be sent again", error).pipe(
              Effect.annotateLogs({ refund_id: refund.id, attempts })
            )
          }
        })

      const send = traced("Refunds.send")(function*(refund: RefundRecord) {
        if (refund.status !== "pending") return refund
        const payment = yield* Effect.orDie(load(refund.paymentId))
        if (payment.providerChargeId === undefined) {
          yield* notConfirmed(refund, "no processor charge to refund", true)
          return yield* reload(refund)
        }
        const result = yield* gateway.refund({
          chargeId: payment.providerChargeId,
          amountCents: refund.amountCents,
          idempotencyKey: refund.providerIdempotencyKey
        }).pipe(Effect.result)
        if (result._tag === "Success") {
          yield* refunds.confirmRefund(refund.id, result.success.id)
          yield* countPayment("refunded")
          return yield* reload(refund)
        }
        const error = result.failure
        if (error._tag === "ProviderPermanent" && error.code === "charge_already_refunded") {
          // Given back already (by a refund of the processor's own dashboard, say): the money is where it belongs.
          const charge = yield* gateway.getCharge(payment.providerChargeId).pipe(Effect.option)
          const back = Option.flatten(charge).pipe(Option.filter((c) => (c.amountRefunded ?? 0) >= c.amount))
          if (Option.isSome(back)) {
            yield* refunds.confirmRefund(refund.id, `already_refunded:${back.value.id}`)
            return yield* reload(refund)
          }
        }
        const refused = error._tag === "ProviderDeclined" || error._tag === "ProviderPermanent"
        const detail = error._tag === "ProviderDeclined" || error._tag === "ProviderPermanent"
          ? error.message
          : error.detail
        yield* notConfirmed(refund, `${error._tag}: ${detail}`, refused)
        return yield* reload(refund)
      })

      const refundRest = traced("Refunds.refundRest")(function*(
        payment: PaymentRecord,
        options: { readonly reason: string; readonly key: string; readonly stray?: boolean }
      ) {
        const id = RefundId.make(`re_${(yield* PaymentId.generate).slice(PaymentId.prefix.length)}`)
        yield* refunds.beginRefund({
          id,
          paymentId: payment.id,
          amountCents: undefined,
          reason: options.reason,
          idempotencyKey: options.key,
          stray: options.stray
        }).pipe(Effect.catchTag("Conflict", () => Effect.void)) // nothing left beyond what is being refunded
        for (const pending of yield* refunds.refundsOf(payment.id)) yield* send(pending)
      })

      const respond = (refund: RefundRecord, replayed: boolean) =>
        Effect.gen(function*() {
          const payment = yield* load(refund.paymentId)
          return {
            refund: toRefund(refund),
            payment: toPayment(payment, yield* refunds.refundsOf(payment.id)),
            replayed
          } satisfies Refunded
        })

      const ResponseOf = Schema.Struct({ refundId: RefundId })

      const refund = traced("Refunds.refund")(function*(cmd: RefundCommand & Caller) {
        const print = fingerprintOf(["refund", cmd.paymentId, cmd.amountCents ?? null])
        const claim = yield* store.begin(cmd.caller, cmd.idempotencyKey, print)
        if (claim._tag === "Completed") {
          const { refundId } = yield* Effect.orDie(Schema.decodeUnknownEffect(ResponseOf)(claim.response))
          const stored = yield* refunds.findRefund(refundId)
          if (Option.isNone(stored)) return yield* new NotFound({ entity: "refund", id: refundId })
          return yield* respond(yield* send(stored.value), true)
        }
        const created = yield* Effect.gen(function*() {
          yield* load(cmd.paymentId)
          const id = RefundId.make(`re_${(yield* PaymentId.generate).slice(PaymentId.prefix.length)}`)
          return yield* refunds.beginRefund({ id, ...cmd, amountCents: cmd.amountCents })
        }).pipe(
          // The refund row exists from here on: a repeat must find it, whatever happens to the call below.
          Effect.onExit((exit) =>
            Exit.isSuccess(exit)
              ? store.complete(cmd.caller, cmd.idempotencyKey, { refundId: exit.value.id })
              : store.release(cmd.caller, cmd.idempotencyKey)
          )
        )
        return yield* respond(yield* send(created), false)
      })

      return Refunds.of({ refund, send, refundRest })
    })
  )
}
