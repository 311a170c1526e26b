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
import { Context, Effect, Exit, Layer, Option, Schema } from "effect"
import { GuardedGateway } from "./GuardedGateway.ts"
import { fingerprintOf, IdempotencyStore } from "./IdempotencyStore.ts"
import { countPayment } from "./PaymentMetrics.ts"
import { type PaymentRecord, RefundId, type RefundRecord, toPayment, toRefund } from "./PaymentRecord.ts"
import { PaymentRepo } from "./PaymentRepo.ts"
import type { Caller } from "./Payments.ts"

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
 * Refunds succeeded payments, idempotently: the refund row (and its processor key `refund:<payment>:<seq>`) is
 * created once per idempotency key, and a refund the processor did not confirm stays pending and is resent under
 * the same processor key, by a repeat or by the reconciler.
 */
export class Refunds extends Context.Service<Refunds, {
  readonly refund: (
    cmd: RefundCommand & Caller
  ) => Effect.Effect<Refunded, OperationError<"refundPayment"> | ServiceUnavailable>
  /** Sends a pending refund to the processor (again); a refund already settled is left alone. */
  readonly send: (refund: RefundRecord) => Effect.Effect<RefundRecord, NotFound | ServiceUnavailable>
}>()("payment/Refunds") {
  static readonly layer = Layer.effect(
    Refunds,
    Effect.gen(function*() {
      const repo = yield* PaymentRepo
      const store = yield* IdempotencyStore
      const gateway = yield* GuardedGateway

      const load = (paymentId: PaymentId) =>
        Effect.flatMap(repo.findById(paymentId), (found) =>
          Option.isSome(found)
            ? Effect.succeed(found.value)
            : Effect.fail(new NotFound({ entity: "payment", id: paymentId })))

      const reload = (refund: RefundRecord) => Effect.map(repo.findRefund(refund.id), Option.getOrElse(() => refund))

      const send = Effect.fn("Refunds.send")(function*(refund: RefundRecord) {
        if (refund.status !== "pending") return refund
        const payment: PaymentRecord = yield* load(refund.paymentId)
        if (payment.providerChargeId === undefined) return refund
        const result = yield* gateway.refund({
          chargeId: payment.providerChargeId,
          amountCents: refund.amountCents,
          idempotencyKey: refund.providerIdempotencyKey
        }).pipe(Effect.result)
        if (result._tag === "Success") {
          yield* repo.settleRefund(refund.id, { providerRefundId: result.success.id })
          yield* countPayment("refunded")
        } else if (result.failure._tag === "ProviderDeclined" || result.failure._tag === "ProviderPermanent") {
          yield* repo.settleRefund(refund.id, { failureReason: result.failure.code })
        } else {
          yield* Effect.logWarning("refund not confirmed; left pending", result.failure._tag).pipe(
            Effect.annotateLogs({ refund_id: refund.id })
          )
        }
        return yield* reload(refund)
      })

      const respond = (refund: RefundRecord, replayed: boolean) =>
        Effect.gen(function*() {
          const payment = yield* load(refund.paymentId)
          return { refund: toRefund(refund), payment: toPayment(payment, yield* repo.refundsOf(payment.id)), replayed }
        })

      const ResponseOf = Schema.Struct({ refundId: RefundId })

      const refund = Effect.fn("Refunds.refund")(function*(cmd: RefundCommand & Caller) {
        const print = fingerprintOf(["refund", cmd.paymentId, cmd.amountCents ?? null])
        const claim = yield* store.begin(cmd.caller, cmd.idempotencyKey, print)
        if (claim._tag === "Completed") {
          const { refundId } = yield* Effect.orDie(Schema.decodeUnknownEffect(ResponseOf)(claim.response))
          const stored = yield* repo.findRefund(refundId)
          if (Option.isNone(stored)) return yield* new NotFound({ entity: "refund", id: refundId })
          return yield* respond(yield* send(stored.value), true)
        }
        const created = yield* Effect.gen(function*() {
          yield* load(cmd.paymentId)
          const id = RefundId.make(`re_${(yield* PaymentId.generate).slice(PaymentId.prefix.length)}`)
          return yield* repo.beginRefund({ id, ...cmd, amountCents: cmd.amountCents })
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

      return Refunds.of({ refund, send })
    })
  )
}
