import { Conflict, CurrencyCode, NotFound, OrderId, PaymentId, Price, type ServiceUnavailable } from "@shop/domain"
import { fromBigInt, Instant } from "@shop/service-defaults/SqlColumns"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import { RefundId, type RefundRecord } from "./PaymentRecord.ts"
import { collapse } from "./PaymentSql.ts"
import { RefundRepo } from "./RefundRepo.ts"
import { Refunds } from "./Refunds.ts"

/** A parked refund with what an operator needs to judge it: its order, amount and the processor's last answer. */
export const ParkedRefund = Schema.Struct({
  id: RefundId,
  payment_id: PaymentId,
  order_id: OrderId,
  amount_cents: fromBigInt(Price),
  currency: CurrencyCode,
  attempts: Schema.Int,
  last_error: Schema.NullOr(Schema.String),
  reason: Schema.String,
  created_at: Instant,
  updated_at: Instant
})
export type ParkedRefund = typeof ParkedRefund.Type

/**
 * The operator's side of parked refunds (the console, and `npm run refunds` through the same RefundRepo): list them,
 * and send one again. Sending again is the operator's decision made now: the refund is unparked with its attempts
 * reset and sent to the processor at once (Refunds.send, the path every refund takes), so the answer says whether
 * the processor confirmed it, will be asked again (pending), or refused it again (parked once more after
 * REFUND_MAX_ATTEMPTS refusals).
 */
export class ParkedRefunds extends Context.Service<ParkedRefunds, {
  readonly list: Effect.Effect<ReadonlyArray<ParkedRefund>, ServiceUnavailable>
  readonly retry: (id: RefundId) => Effect.Effect<RefundRecord, NotFound | Conflict | ServiceUnavailable>
}>()("payment/ParkedRefunds") {
  static readonly layer = Layer.effect(
    ParkedRefunds,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const repo = yield* RefundRepo
      const refunds = yield* Refunds
      const parked = SqlSchema.findAll({
        Request: Schema.Void,
        Result: ParkedRefund,
        execute: () =>
          sql`SELECT r.id, r.payment_id, p.order_id, r.amount_cents, p.currency, r.attempts, r.last_error, r.reason,
              r.created_at, r.updated_at
            FROM refunds r JOIN payments p ON p.id = r.payment_id
            WHERE r.status = 'parked' ORDER BY r.updated_at`
      })

      const retry = Effect.fn("ParkedRefunds.retry")(function*(id: RefundId) {
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

      return ParkedRefunds.of({ list: collapse(parked(undefined)), retry })
    })
  )
}
