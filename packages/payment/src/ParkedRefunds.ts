import { Conflict, NotFound, type ServiceUnavailable } from "@shop/domain"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, Effect, Layer, Option } from "effect"
import type { PaymentRecord, RefundId, RefundRecord } from "./PaymentRecord.ts"
import { PaymentRepo } from "./PaymentRepo.ts"
import { RefundRepo } from "./RefundRepo.ts"
import { Refunds } from "./Refunds.ts"

/** A parked refund with its payment: the order and currency an operator needs to judge it. */
export interface ParkedRefund {
  readonly refund: RefundRecord
  readonly payment: PaymentRecord
}

/**
 * The operator's side of parked refunds, on the same repository as `npm run refunds` (RefundRepo's `parkedRefunds`
 * and `unparkRefund`). Sending one again is the operator's decision made now: the refund is unparked with its
 * attempts reset and sent to the processor at once, on the path every refund takes (`Refunds.send`), so the answer
 * says whether the processor confirmed it, will be asked again (pending), or refused it again (parked once more after
 * REFUND_MAX_ATTEMPTS refusals).
 */
export class ParkedRefunds extends Context.Service<ParkedRefunds, {
  readonly list: Effect.Effect<ReadonlyArray<ParkedRefund>, ServiceUnavailable>
  readonly retry: (id: RefundId) => Effect.Effect<RefundRecord, NotFound | Conflict | ServiceUnavailable>
}>()("payment/ParkedRefunds") {
  static readonly layer = Layer.effect(
    ParkedRefunds,
    Effect.gen(function*() {
      const payments = yield* PaymentRepo
      const repo = yield* RefundRepo
      const refunds = yield* Refunds

      // Parked refunds are few (each one is an alert): one look-up of its payment each is fine.
      const list = Effect.flatMap(
        repo.parkedRefunds,
        (parked) =>
          Effect.forEach(
            parked,
            (refund) =>
              Effect.flatMap(payments.findById(refund.paymentId), (payment) =>
                Option.isSome(payment)
                  ? Effect.succeed({ refund, payment: payment.value })
                  : Effect.die(new Error(`refund ${refund.id} of unknown payment ${refund.paymentId}`)))
          )
      ).pipe(
        Effect.withSpan("ParkedRefunds.list")
      )

      const retry = traced("ParkedRefunds.retry")(function*(id: RefundId) {
        if (!(yield* repo.unparkRefund(id))) {
          const found = yield* repo.findRefund(id)
          if (Option.isNone(found)) return yield* new NotFound({ entity: "refund", id })
          return yield* new Conflict({ detail: `refund ${id} is ${found.value.status}, not parked` })
        }
        yield* Effect.logInfo("parked refund sent again by an operator").pipe(Effect.annotateLogs({ refund_id: id }))
        const unparked = yield* repo.findRefund(id)
        if (Option.isNone(unparked)) return yield* new NotFound({ entity: "refund", id })
        return yield* refunds.send(unparked.value)
      })

      return ParkedRefunds.of({ list, retry })
    })
  )
}
