import {
  ChargeAmount,
  Conflict,
  CurrencyCode,
  IdempotencyKey,
  NotFound,
  type OperationError,
  OrderId,
  type Payment,
  PaymentDeclined,
  PaymentId,
  PaymentMethod,
  type ServiceUnavailable
} from "@shop/domain"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, Effect, Exit, Layer, Option, Schema } from "effect"
import { fingerprintOf, IdempotencyStore } from "./IdempotencyStore.ts"
import { type PaymentRecord, toPayment } from "./PaymentRecord.ts"
import { PaymentRepo } from "./PaymentRepo.ts"
import { RefundRepo } from "./RefundRepo.ts"
import { Refunds } from "./Refunds.ts"
import { Settlement } from "./Settlement.ts"

/** A request to charge an order, decoded at the edge with the domain's rules (amount within the processor's limit). */
export const ChargeCommand = Schema.Struct({
  orderId: OrderId,
  amountCents: ChargeAmount,
  currency: CurrencyCode,
  paymentMethod: PaymentMethod,
  idempotencyKey: IdempotencyKey
})
export type ChargeCommand = typeof ChargeCommand.Type

/** An order being given up, with the charge it would have had (recorded on a voided payment when it has none). */
export const CancelCommand = Schema.Struct({
  orderId: OrderId,
  amountCents: ChargeAmount,
  currency: CurrencyCode,
  paymentMethod: PaymentMethod,
  reason: Schema.String.check(Schema.isMaxLength(200))
})
export type CancelCommand = typeof CancelCommand.Type

/** Who asked: idempotency keys are scoped per calling service. */
export interface Caller {
  readonly caller: string
}

/** Where to find a payment: by its id, or by its order's id. */
export type PaymentLookup = { readonly paymentId: PaymentId } | { readonly orderId: OrderId }

/** Charges orders exactly once and answers what became of their payments. */
export class Payments extends Context.Service<Payments, {
  /** A declined payment fails with PaymentDeclined; a payment whose outcome is unknown answers pending_unknown. */
  readonly process: (
    cmd: ChargeCommand & Caller
  ) => Effect.Effect<
    { readonly payment: Payment; readonly replayed: boolean },
    OperationError<"chargePayment"> | ServiceUnavailable
  >
  readonly get: (lookup: PaymentLookup) => Effect.Effect<Payment, OperationError<"getPayment"> | ServiceUnavailable>
  /**
   * Settles an order that is being given up, so that nothing stays charged for it; `settled` only once the
   * processor's answers say so (see CancelPayment in the proto). Idempotent: called again until settled.
   */
  readonly cancel: (
    cmd: CancelCommand
  ) => Effect.Effect<{ readonly payment: Payment; readonly settled: boolean }, ServiceUnavailable>
}>()("payment/Payments") {
  static readonly layer = Layer.effect(
    Payments,
    Effect.gen(function*() {
      const repo = yield* PaymentRepo
      const refundRepo = yield* RefundRepo
      const refunds = yield* Refunds
      const store = yield* IdempotencyStore
      const settlement = yield* Settlement

      const view = (payment: PaymentRecord) =>
        Effect.map(refundRepo.refundsOf(payment.id), (found) => toPayment(payment, found))

      // Finishes what an earlier attempt left open; an unknown outcome is looked up before anything is resent.
      const drive = traced("Payments.drive")(function*(payment: PaymentRecord) {
        if (payment.status === "pending") return yield* settlement.charge(payment)
        if (payment.status !== "pending_unknown") return payment
        // Not found: resending under the same processor key is safe, the processor deduplicates it.
        return yield* settlement.reconcile(payment, { resend: true })
      })

      // `settledHere`: the payment as the settlement of this request left it. A refund needs a settled payment, so
      // none is older than that answer: its refunds are not read.
      const answer = (payment: PaymentRecord, replayed: boolean, settledHere = false) =>
        payment.status === "failed"
          ? Effect.fail(new PaymentDeclined({ reason: payment.failureReason ?? "failed" }))
          : settledHere
          ? Effect.succeed({ payment: toPayment(payment, []), replayed })
          : Effect.map(view(payment), (shown) => ({ payment: shown, replayed }))

      /**
       * Charges the order under a claimed key and stores the key's result. A payment inserted here is sent at once,
       * and the statement that settles it stores the result too; the order's existing payment (asked for under
       * another key) is driven on, and the result stored after.
       */
      const proceed = traced("Payments.proceed")(
        function*(
          cmd: ChargeCommand & Caller,
          inserted: { readonly payment: PaymentRecord; readonly created: boolean }
        ) {
          const { created, payment } = inserted
          if (!created && (payment.amountCents !== cmd.amountCents || payment.currency !== cmd.currency)) {
            return yield* new Conflict({
              detail: `order ${cmd.orderId} already has a payment of ${payment.amountCents} ${payment.currency}`
            })
          }
          if (!created) {
            const driven = yield* drive(payment)
            yield* store.complete(cmd.caller, cmd.idempotencyKey, { paymentId: driven.id })
            return { payment: driven, replayed: true, settledHere: false }
          }
          const settled = yield* settlement.charge(payment, {
            keyResult: { caller: cmd.caller, key: cmd.idempotencyKey, response: { paymentId: payment.id } }
          })
          return { payment: settled, replayed: false, settledHere: true }
        }
      )

      // A request that stored no result (the processor could not be asked, the database failed, a conflict) gives
      // its key up, so that a retry runs it again.
      const releasingOnFailure = (cmd: ChargeCommand & Caller) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
        Effect.onExit(
          self,
          (exit) => Exit.isSuccess(exit) ? Effect.void : store.release(cmd.caller, cmd.idempotencyKey)
        )

      const ResponseOf = Schema.Struct({ paymentId: PaymentId })

      const process = traced("Payments.process")(
        function*(cmd: ChargeCommand & Caller) {
          yield* Effect.annotateCurrentSpan({ "order.id": cmd.orderId, "payment.caller": cmd.caller })
          const print = fingerprintOf(["process", cmd.orderId, cmd.amountCents, cmd.currency, cmd.paymentMethod])
          const newPayment = { id: yield* PaymentId.generate, ...cmd }
          // The key's claim and the payment's insert are one statement: the insert only where the claim was won. A
          // failed statement wrote neither, so there is no claim of this request's to give up (a `release` here
          // could drop the claim of another request with the same key).
          const gated = yield* repo.insertClaimed(newPayment, store.claimOf(cmd.caller, cmd.idempotencyKey, print))
          if (Option.isSome(gated)) {
            const result = yield* proceed(cmd, gated.value).pipe(releasingOnFailure(cmd))
            return yield* answer(result.payment, result.replayed, result.settledHere)
          }
          // The key was taken: `begin` tells a stored result (replayed), a request still running or a reused key
          // apart; a claim given up meanwhile is won there, and the command runs as above.
          const claim = yield* store.begin(cmd.caller, cmd.idempotencyKey, print)
          if (claim._tag === "Completed") {
            const { paymentId } = yield* Effect.orDie(Schema.decodeUnknownEffect(ResponseOf)(claim.response))
            const stored = yield* repo.findById(paymentId)
            if (Option.isNone(stored)) return yield* new NotFound({ entity: "payment", id: paymentId })
            return yield* answer(yield* drive(stored.value), true)
          }
          const result = yield* Effect.flatMap(repo.insertOrGet(newPayment), (inserted) => proceed(cmd, inserted))
            .pipe(releasingOnFailure(cmd))
          return yield* answer(result.payment, result.replayed, result.settledHere)
        },
        Effect.catchTag(
          "NotFound",
          (error: NotFound) => Effect.die(new Error(`stored idempotency result names a missing ${error.id}`))
        )
      )

      const get = traced("Payments.get")(function*(lookup: PaymentLookup) {
        const found = "paymentId" in lookup
          ? yield* repo.findById(lookup.paymentId)
          : yield* repo.findByOrderId(lookup.orderId)
        if (Option.isNone(found)) {
          return yield* new NotFound({
            entity: "payment",
            id: "paymentId" in lookup ? lookup.paymentId : lookup.orderId
          })
        }
        return yield* view(found.value)
      })

      const cancel = traced("Payments.cancel")(function*(cmd: CancelCommand) {
        yield* Effect.annotateCurrentSpan({ "order.id": cmd.orderId })
        const id = yield* PaymentId.generate
        const found = yield* repo.voidOrGet({
          id,
          ...cmd,
          idempotencyKey: IdempotencyKey.make(`cancel-${cmd.orderId}`)
        })
        // An unknown outcome is asked about first (by its key only: the order is being given up, nothing is resent);
        // while it stays unknown the order waits.
        const payment = found.status === "pending" || found.status === "pending_unknown"
          ? yield* settlement.reconcile(found, { resend: false })
          : found
        if (payment.status === "succeeded") {
          yield* refunds.refundRest(payment, { reason: cmd.reason, key: `cancel-${cmd.orderId}` })
        }
        const now = Option.getOrElse(yield* repo.findById(payment.id), () => payment)
        const settled = now.status === "failed" || now.status === "refunded"
        return { payment: yield* view(now), settled }
      })

      return Payments.of({ process, get, cancel })
    })
  )
}
