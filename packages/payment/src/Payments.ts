import {
  Conflict,
  type DomainError,
  NotFound,
  OrderId,
  PaymentDeclined,
  PaymentId,
  ValidationError
} from "@shop/domain"
import { Context, Effect, Exit, Layer, Option, Schema } from "effect"
import { fingerprintOf, IdempotencyStore } from "./IdempotencyStore.ts"
import type { PaymentRecord, RefundRecord } from "./PaymentRecord.ts"
import { PaymentRepo } from "./PaymentRepo.ts"
import { Settlement } from "./Settlement.ts"

export interface ProcessPayment {
  readonly caller: string
  readonly orderId: string
  readonly amountCents: number
  readonly currency: string
  readonly paymentMethod: string
  readonly idempotencyKey: string
}

/** A payment with its refunds, as the API shows it. */
export interface PaymentView {
  readonly payment: PaymentRecord
  readonly refunds: ReadonlyArray<RefundRecord>
}

export type PaymentLookup = { readonly paymentId: string } | { readonly orderId: string }

const isOrderId = Schema.is(OrderId)
const isPaymentId = Schema.is(PaymentId)

/** Validates a charge command at the edge of the domain. */
export const validateProcess = (cmd: ProcessPayment): Effect.Effect<ProcessPayment, ValidationError> => {
  if (!isOrderId(cmd.orderId)) return Effect.fail(new ValidationError({ field: "order_id", detail: "not an order id" }))
  if (!Number.isSafeInteger(cmd.amountCents) || cmd.amountCents <= 0 || cmd.amountCents > 99_999_999) {
    return Effect.fail(new ValidationError({ field: "amount_cents", detail: "must be between 1 and 99999999" }))
  }
  if (!/^[A-Za-z]{3}$/.test(cmd.currency)) {
    return Effect.fail(new ValidationError({ field: "currency", detail: "must be an ISO 4217 code" }))
  }
  if (cmd.paymentMethod === "") return Effect.fail(new ValidationError({ field: "payment_method", detail: "required" }))
  if (cmd.idempotencyKey === "" || cmd.idempotencyKey.length > 255) {
    return Effect.fail(new ValidationError({ field: "idempotency_key", detail: "1 to 255 characters" }))
  }
  return Effect.succeed({ ...cmd, currency: cmd.currency.toUpperCase() })
}

/** Charges orders exactly once and answers what became of their payments. */
export class Payments extends Context.Service<Payments, {
  /** A declined payment fails with PaymentDeclined; a payment whose outcome is unknown answers pending_unknown. */
  readonly process: (
    cmd: ProcessPayment
  ) => Effect.Effect<{ readonly view: PaymentView; readonly replayed: boolean }, DomainError>
  readonly get: (lookup: PaymentLookup) => Effect.Effect<PaymentView, DomainError>
}>()("payment/Payments") {
  static readonly layer = Layer.effect(
    Payments,
    Effect.gen(function*() {
      const repo = yield* PaymentRepo
      const store = yield* IdempotencyStore
      const settlement = yield* Settlement

      const view = (payment: PaymentRecord) =>
        Effect.map(repo.refundsOf(payment.id), (refunds): PaymentView => ({ payment, refunds }))

      // Finishes what an earlier attempt left open; an unknown outcome is looked up before anything is resent.
      const drive = Effect.fn("Payments.drive")(function*(payment: PaymentRecord) {
        if (payment.status === "pending") return yield* settlement.charge(payment)
        if (payment.status !== "pending_unknown") return payment
        const reconciled = yield* settlement.reconcile(payment, Option.none())
        // Not found: resending under the same processor key is safe, the processor deduplicates it.
        return reconciled.status === "pending_unknown" ? yield* settlement.charge(reconciled) : reconciled
      })

      const answer = (payment: PaymentRecord, replayed: boolean) =>
        payment.status === "failed"
          ? Effect.fail(new PaymentDeclined({ reason: payment.failureReason ?? "failed" }))
          : Effect.map(view(payment), (v) => ({ view: v, replayed }))

      const execute = Effect.fn("Payments.execute")(function*(cmd: ProcessPayment) {
        const id = yield* PaymentId.generate
        const { created, payment } = yield* repo.insertOrGet({ id, ...cmd })
        if (!created && (payment.amountCents !== cmd.amountCents || payment.currency !== cmd.currency)) {
          return yield* new Conflict({
            detail: `order ${cmd.orderId} already has a payment of ${payment.amountCents} ${payment.currency}`
          })
        }
        return { payment: yield* drive(payment), replayed: !created }
      })

      const process = Effect.fn("Payments.process")(function*(input: ProcessPayment) {
        const cmd = yield* validateProcess(input)
        yield* Effect.annotateCurrentSpan({ "order.id": cmd.orderId, "payment.caller": cmd.caller })
        const print = fingerprintOf(["process", cmd.orderId, cmd.amountCents, cmd.currency, cmd.paymentMethod])
        const claim = yield* store.begin(cmd.caller, cmd.idempotencyKey, print)
        if (claim._tag === "Completed") {
          const paymentId = String((claim.response as { paymentId?: unknown } | null)?.paymentId)
          const stored = yield* repo.findById(paymentId)
          if (Option.isNone(stored)) return yield* new NotFound({ entity: "payment", id: paymentId })
          return yield* answer(yield* drive(stored.value), true)
        }
        const result = yield* execute(cmd).pipe(
          Effect.onExit((exit) =>
            Exit.isSuccess(exit)
              ? store.complete(cmd.caller, cmd.idempotencyKey, { paymentId: exit.value.payment.id })
              : store.release(cmd.caller, cmd.idempotencyKey)
          )
        )
        return yield* answer(result.payment, result.replayed)
      })

      const get = Effect.fn("Payments.get")(function*(lookup: PaymentLookup) {
        const found = "paymentId" in lookup
          ? (isPaymentId(lookup.paymentId) ? yield* repo.findById(lookup.paymentId) : Option.none())
          : yield* repo.findByOrderId(lookup.orderId)
        if (Option.isNone(found)) {
          return yield* new NotFound({
            entity: "payment",
            id: "paymentId" in lookup ? lookup.paymentId : lookup.orderId
          })
        }
        return yield* view(found.value)
      })

      return Payments.of({ process, get })
    })
  )
}
