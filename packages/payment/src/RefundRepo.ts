import { type Cents, Conflict, PaymentId, type ServiceUnavailable } from "@shop/domain"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, Duration, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"
import { PaymentKeys, PaymentRow, type RefundId, type RefundRecord, RefundRow } from "./PaymentRecord.ts"
import { collapse, unavailable } from "./PaymentSql.ts"

/** A refund to reserve: the whole refundable amount when `amountCents` is undefined. */
export interface NewRefund {
  readonly id: RefundId
  readonly paymentId: PaymentId
  readonly amountCents: Cents | undefined
  readonly reason: string
  readonly idempotencyKey: string
  /**
   * Money the processor holds on a payment marked failed (found by the ledger comparison) is given back too;
   * otherwise only succeeded payments are refunded.
   */
  readonly stray?: boolean | undefined
}

/** Refunds in PostgreSQL, each with its own processor key; a refund is done only once the processor confirmed it. */
export class RefundRepo extends Context.Service<RefundRepo, {
  readonly refundsOf: (paymentId: PaymentId) => Effect.Effect<ReadonlyArray<RefundRecord>, ServiceUnavailable>
  readonly findRefund: (id: RefundId) => Effect.Effect<Option.Option<RefundRecord>, ServiceUnavailable>
  /**
   * Reserves a refund under the payment's row lock: checks what is still refundable (pending and parked refunds
   * count) and takes the next sequence number. Fails with Conflict when the payment cannot be refunded by that much.
   */
  readonly beginRefund: (input: NewRefund) => Effect.Effect<RefundRecord, ServiceUnavailable | Conflict>
  /** Confirms a pending refund; it adds to the payment's refunded_cents (status refunded when full). */
  readonly confirmRefund: (id: RefundId, providerRefundId: string) => Effect.Effect<void, ServiceUnavailable>
  /**
   * Records an attempt the processor did not confirm: the refund stays pending until `delay` has passed, or is
   * `parked` for an operator when `park` is set.
   */
  readonly refundNotConfirmed: (
    id: RefundId,
    outcome: { readonly error: string; readonly delay: Duration.Duration; readonly park: boolean }
  ) => Effect.Effect<void, ServiceUnavailable>
  /** Pending refunds whose next attempt has come. */
  readonly dueRefunds: (limit: number) => Effect.Effect<ReadonlyArray<RefundRecord>, ServiceUnavailable>
  /** Parked refunds, the longest parked first. */
  readonly parkedRefunds: Effect.Effect<ReadonlyArray<RefundRecord>, ServiceUnavailable>
  /** Sends a parked refund again (an operator's decision); false when it is not parked. */
  readonly unparkRefund: (id: RefundId) => Effect.Effect<boolean, ServiceUnavailable>
}>()("payment/RefundRepo") {
  static readonly layer = Layer.effect(
    RefundRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const rows = <Req extends Schema.Top>(
        Request: Req,
        execute: (request: Req["Encoded"]) => Effect.Effect<ReadonlyArray<unknown>, SqlError>
      ) => SqlSchema.findAll({ Request, Result: RefundRow, execute })

      const ofPayment = rows(
        PaymentId,
        (paymentId) => sql`SELECT * FROM refunds WHERE payment_id = ${paymentId} ORDER BY seq`
      )
      const byId = rows(Schema.String, (id) => sql`SELECT * FROM refunds WHERE id = ${id}`)
      const lockPayment = SqlSchema.findOne({
        Request: PaymentId,
        Result: PaymentRow,
        execute: (id) => sql`SELECT * FROM payments WHERE id = ${id} FOR UPDATE`
      })
      const totalsOf = SqlSchema.findOne({
        Request: PaymentId,
        Result: Schema.Struct({ held: Schema.Number, count: Schema.Int }),
        execute: (paymentId) =>
          sql`SELECT COALESCE(SUM(amount_cents) FILTER (WHERE status IN ('pending', 'parked')), 0)::float8 AS held,
              COUNT(*)::int AS count
            FROM refunds WHERE payment_id = ${paymentId}`
      })
      const insert = rows(
        Schema.Struct({
          id: Schema.String,
          paymentId: PaymentId,
          seq: Schema.Int,
          amountCents: Schema.Int,
          providerKey: Schema.String,
          reason: Schema.String,
          idempotencyKey: Schema.String
        }),
        (input) =>
          sql`INSERT INTO refunds (id, payment_id, seq, amount_cents, status, provider_idempotency_key, reason,
              idempotency_key)
            VALUES (${input.id}, ${input.paymentId}, ${input.seq}, ${input.amountCents}, 'pending', ${input.providerKey},
              ${input.reason}, ${input.idempotencyKey})
            RETURNING *`
      )

      const beginRefund = traced("RefundRepo.beginRefund")(
        function*(input: NewRefund) {
          const payment = yield* lockPayment(input.paymentId)
          const refundable = payment.status === "succeeded" || (input.stray === true && payment.status === "failed")
          if (!refundable) {
            return yield* new Conflict({
              detail: `payment ${payment.id} is ${payment.status}; only succeeded payments can be refunded`
            })
          }
          const { count, held } = yield* totalsOf(payment.id)
          const left = payment.amountCents - payment.refundedCents - held
          const amount = input.amountCents ?? left
          if (left <= 0 || amount > left) {
            return yield* new Conflict({ detail: `payment ${payment.id}: ${amount} requested, ${left} refundable` })
          }
          const [refund] = yield* insert({
            ...input,
            paymentId: payment.id,
            seq: count + 1,
            amountCents: amount,
            providerKey: PaymentKeys.refund(payment.id, count + 1)
          })
          return refund ?? (yield* Effect.die(new Error(`refund ${input.id} not inserted`)))
        },
        sql.withTransaction,
        (effect): Effect.Effect<RefundRecord, ServiceUnavailable | Conflict> =>
          Effect.catch(effect, (error): Effect.Effect<never, ServiceUnavailable | Conflict> => {
            switch (error._tag) {
              case "Conflict":
                return Effect.fail(error)
              case "SqlError":
                return Effect.fail(unavailable(error))
              default:
                return Effect.die(error)
            }
          })
      )

      const confirmed = rows(
        Schema.Struct({ id: Schema.String, providerRefundId: Schema.String }),
        (input) =>
          sql`UPDATE refunds SET status = 'succeeded', provider_refund_id = ${input.providerRefundId},
            last_error = NULL, updated_at = now()
          WHERE id = ${input.id} AND status IN ('pending', 'parked') RETURNING *`
      )
      const confirmRefund = traced("RefundRepo.confirmRefund")(
        function*(id: RefundId, providerRefundId: string) {
          const [refund] = yield* confirmed({ id, providerRefundId })
          if (refund === undefined) return
          yield* sql`UPDATE payments SET refunded_cents = refunded_cents + ${refund.amountCents},
              status = CASE WHEN refunded_cents + ${refund.amountCents} >= amount_cents THEN 'refunded' ELSE status END,
              updated_at = now()
            WHERE id = ${refund.paymentId}`
        },
        sql.withTransaction,
        collapse
      )

      const refundNotConfirmed = traced("RefundRepo.refundNotConfirmed")(function*(
        id: RefundId,
        outcome: { readonly error: string; readonly delay: Duration.Duration; readonly park: boolean }
      ) {
        yield* sql`UPDATE refunds SET attempts = attempts + 1, last_error = ${outcome.error.slice(0, 500)},
            status = CASE WHEN ${outcome.park} THEN 'parked' ELSE status END,
            next_attempt_at = now() + make_interval(secs => ${Duration.toMillis(outcome.delay) / 1000}),
            updated_at = now()
          WHERE id = ${id} AND status = 'pending'`
      }, collapse)

      const due = rows(
        Schema.Int,
        (limit) =>
          sql`SELECT * FROM refunds WHERE status = 'pending' AND next_attempt_at <= now()
          ORDER BY next_attempt_at LIMIT ${limit}`
      )
      const parked = rows(Schema.Void, () => sql`SELECT * FROM refunds WHERE status = 'parked' ORDER BY updated_at`)

      const unparkRefund = traced("RefundRepo.unparkRefund")(function*(id: RefundId) {
        const unparked = yield* sql`UPDATE refunds SET status = 'pending', attempts = 0, next_attempt_at = now(),
            updated_at = now()
          WHERE id = ${id} AND status = 'parked' RETURNING id`
        return unparked.length > 0
      }, collapse)

      return RefundRepo.of({
        refundsOf: (paymentId) => collapse(ofPayment(paymentId)),
        findRefund: (id) => collapse(Effect.map(byId(id), (found) => Option.fromNullishOr(found[0]))),
        beginRefund,
        confirmRefund,
        refundNotConfirmed,
        dueRefunds: (limit) => collapse(due(limit)),
        parkedRefunds: collapse(parked(undefined)),
        unparkRefund
      })
    })
  )
}
