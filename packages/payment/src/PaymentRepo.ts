import {
  type Cents,
  Conflict,
  type Currency,
  type IdempotencyKey,
  OrderId,
  PaymentId,
  type PaymentMethod,
  ServiceUnavailable
} from "@shop/domain"
import { Context, Duration, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"
import {
  PaymentKeys,
  type PaymentRecord,
  PaymentRow,
  type RefundId,
  type RefundRecord,
  RefundRow
} from "./PaymentRecord.ts"

export interface NewPayment {
  readonly id: PaymentId
  readonly orderId: OrderId
  readonly amountCents: Cents
  readonly currency: Currency
  readonly paymentMethod: PaymentMethod
  readonly idempotencyKey: IdempotencyKey
}

export interface Settlement {
  readonly status: "pending_unknown" | "succeeded" | "failed"
  readonly providerChargeId?: string | undefined
  readonly failureReason?: string | undefined
}

/** failure_reason of a payment the processor never saw. */
export const notProcessed = "not_processed"

// The database is the payment service's own: an outage is the service being unavailable; a row that does not decode
// is a bug (or a corrupt row), a defect.
const unavailable = (error: { readonly message: string }) =>
  new ServiceUnavailable({ service: "payment-database", detail: error.message })
const collapse = <A, R>(
  effect: Effect.Effect<A, SqlError | Schema.SchemaError, R>
): Effect.Effect<A, ServiceUnavailable, R> =>
  Effect.catch(effect, (error) => error._tag === "SchemaError" ? Effect.die(error) : Effect.fail(unavailable(error)))

const idle = (idleFor: Duration.Duration) => Math.max(0, Math.round(Duration.toMillis(idleFor))) / 1000

/** Payments and refunds in PostgreSQL. Every status change is guarded by the state it leaves. */
export class PaymentRepo extends Context.Service<PaymentRepo, {
  /** One payment per order: inserts it, or returns the order's existing payment (`created` false). */
  readonly insertOrGet: (
    input: NewPayment
  ) => Effect.Effect<{ readonly payment: PaymentRecord; readonly created: boolean }, ServiceUnavailable>
  readonly findById: (id: PaymentId) => Effect.Effect<Option.Option<PaymentRecord>, ServiceUnavailable>
  readonly findByOrderId: (orderId: OrderId) => Effect.Effect<Option.Option<PaymentRecord>, ServiceUnavailable>
  /**
   * Moves a pending or pending_unknown payment on; a payment already settled is returned unchanged, except that the
   * processor's word that a charge succeeded overrides an earlier "never processed" verdict: money taken is never
   * hidden.
   */
  readonly settle: (id: PaymentId, to: Settlement) => Effect.Effect<PaymentRecord, ServiceUnavailable>
  /** pending_unknown payments, and pending ones untouched for `idleFor` (their request died), oldest first. */
  readonly unsettled: (
    idleFor: Duration.Duration,
    limit: number
  ) => Effect.Effect<ReadonlyArray<PaymentRecord>, ServiceUnavailable>
  /**
   * Marks the start of an attempt (updated_at = now) on an unsettled payment; None when it is settled already,
   * in which case nothing may be sent. An attempt that started keeps the reconciler's `failIfIdle` away.
   */
  readonly beginAttempt: (id: PaymentId) => Effect.Effect<Option.Option<PaymentRecord>, ServiceUnavailable>
  /** Fails an unsettled payment untouched for `idleFor`, in one statement with the idleness check. */
  readonly failIfIdle: (
    id: PaymentId,
    idleFor: Duration.Duration,
    reason: string
  ) => Effect.Effect<Option.Option<PaymentRecord>, ServiceUnavailable>
  readonly refundsOf: (paymentId: PaymentId) => Effect.Effect<ReadonlyArray<RefundRecord>, ServiceUnavailable>
  readonly findRefund: (id: RefundId) => Effect.Effect<Option.Option<RefundRecord>, ServiceUnavailable>
  /**
   * Reserves a refund under the payment's row lock: checks what is still refundable (pending refunds count) and
   * takes the next sequence number. Fails with Conflict when the payment cannot be refunded by that much.
   */
  readonly beginRefund: (input: {
    readonly id: RefundId
    readonly paymentId: PaymentId
    readonly amountCents: Cents | undefined
    readonly reason: string
    readonly idempotencyKey: IdempotencyKey
  }) => Effect.Effect<RefundRecord, ServiceUnavailable | Conflict>
  /** Settles a pending refund; a success adds to the payment's refunded_cents (status refunded when full). */
  readonly settleRefund: (
    id: RefundId,
    outcome: { readonly providerRefundId: string } | { readonly failureReason: string }
  ) => Effect.Effect<void, ServiceUnavailable>
  readonly pendingRefunds: (
    idleFor: Duration.Duration,
    limit: number
  ) => Effect.Effect<ReadonlyArray<RefundRecord>, ServiceUnavailable>
}>()("payment/PaymentRepo") {
  static readonly layer = Layer.effect(
    PaymentRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const payments = <Req extends Schema.Top>(
        Request: Req,
        execute: (request: Req["Encoded"]) => Effect.Effect<ReadonlyArray<unknown>, SqlError>
      ) => SqlSchema.findAll({ Request, Result: PaymentRow, execute })
      const refunds = <Req extends Schema.Top>(
        Request: Req,
        execute: (request: Req["Encoded"]) => Effect.Effect<ReadonlyArray<unknown>, SqlError>
      ) => SqlSchema.findAll({ Request, Result: RefundRow, execute })
      const first = <A>(rows: ReadonlyArray<A>) => Option.fromNullishOr(rows[0])
      const IdleQuery = Schema.Struct({ seconds: Schema.Number, limit: Schema.Int })

      const byId = payments(PaymentId, (id) => sql`SELECT * FROM payments WHERE id = ${id}`)
      const byOrder = payments(OrderId, (orderId) => sql`SELECT * FROM payments WHERE order_id = ${orderId}`)
      const lockById = payments(PaymentId, (id) => sql`SELECT * FROM payments WHERE id = ${id} FOR UPDATE`)
      const mustExist = (id: PaymentId) =>
        Effect.flatMap(
          byId(id),
          (rows) => rows[0] === undefined ? Effect.die(new Error(`payment ${id} vanished`)) : Effect.succeed(rows[0])
        )

      const insert = payments(
        Schema.Struct({
          id: PaymentId,
          orderId: OrderId,
          amountCents: Schema.Int,
          currency: Schema.String,
          paymentMethod: Schema.String,
          providerKey: Schema.String,
          idempotencyKey: Schema.String
        }),
        (input) =>
          sql`INSERT INTO payments (id, order_id, status, amount_cents, currency, payment_method,
              provider_idempotency_key, idempotency_key)
            VALUES (${input.id}, ${input.orderId}, 'pending', ${input.amountCents}, ${input.currency},
              ${input.paymentMethod}, ${input.providerKey}, ${input.idempotencyKey})
            ON CONFLICT (order_id) DO NOTHING
            RETURNING *`
      )

      const insertOrGet = Effect.fn("PaymentRepo.insertOrGet")(function*(input: NewPayment) {
        const [inserted] = yield* insert({ ...input, providerKey: PaymentKeys.charge(input.orderId) })
        if (inserted !== undefined) return { payment: inserted, created: true }
        const [existing] = yield* byOrder(input.orderId)
        if (existing === undefined) return yield* Effect.die(new Error(`payment of ${input.orderId} vanished`))
        return { payment: existing, created: false }
      }, collapse)

      const settleRow = payments(
        Schema.Struct({
          id: PaymentId,
          status: Schema.String,
          providerChargeId: Schema.NullOr(Schema.String),
          failureReason: Schema.NullOr(Schema.String)
        }),
        (to) =>
          sql`UPDATE payments SET status = ${to.status},
              provider_charge_id = COALESCE(${to.providerChargeId}, provider_charge_id),
              failure_reason = ${to.failureReason}, updated_at = now()
            WHERE id = ${to.id} AND (status IN ('pending', 'pending_unknown')
              OR (${to.status} = 'succeeded' AND status = 'failed' AND failure_reason = ${notProcessed}))
            RETURNING *`
      )
      const settle = Effect.fn("PaymentRepo.settle")(function*(id: PaymentId, to: Settlement) {
        const [settled] = yield* settleRow({
          id,
          status: to.status,
          providerChargeId: to.providerChargeId ?? null,
          failureReason: to.failureReason ?? null
        })
        return settled ?? (yield* mustExist(id))
      }, collapse)

      const refundsOfPayment = refunds(
        PaymentId,
        (paymentId) => sql`SELECT * FROM refunds WHERE payment_id = ${paymentId} ORDER BY seq`
      )
      const refundById = refunds(Schema.String, (id) => sql`SELECT * FROM refunds WHERE id = ${id}`)
      const RefundTotals = Schema.Struct({ pending: Schema.Number, seq: Schema.Number })
      const totalsOf = SqlSchema.findOne({
        Request: PaymentId,
        Result: RefundTotals,
        execute: (paymentId) =>
          sql`SELECT COALESCE(SUM(amount_cents) FILTER (WHERE status = 'pending'), 0)::float8 AS pending,
              COUNT(*)::int AS seq
            FROM refunds WHERE payment_id = ${paymentId}`
      })
      const insertRefund = refunds(
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

      const beginRefund = Effect.fn("PaymentRepo.beginRefund")(
        function*(input: {
          readonly id: RefundId
          readonly paymentId: PaymentId
          readonly amountCents: Cents | undefined
          readonly reason: string
          readonly idempotencyKey: IdempotencyKey
        }) {
          const [payment] = yield* lockById(input.paymentId)
          if (payment === undefined) return yield* Effect.die(new Error(`payment ${input.paymentId} vanished`))
          if (payment.status !== "succeeded") {
            return yield* new Conflict({
              detail: `payment ${payment.id} is ${payment.status}; only succeeded payments can be refunded`
            })
          }
          const held = yield* totalsOf(payment.id)
          const refundable = payment.amountCents - payment.refundedCents - held.pending
          const amount = input.amountCents ?? refundable
          if (refundable <= 0 || amount > refundable) {
            return yield* new Conflict({
              detail: `payment ${payment.id}: ${amount} requested, ${refundable} refundable`
            })
          }
          const seq = held.seq + 1
          const [refund] = yield* insertRefund({
            id: input.id,
            paymentId: payment.id,
            seq,
            amountCents: amount,
            providerKey: PaymentKeys.refund(payment.id, seq),
            reason: input.reason,
            idempotencyKey: input.idempotencyKey
          })
          if (refund === undefined) return yield* Effect.die(new Error(`refund ${input.id} not inserted`))
          return refund
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

      const settleRefund = Effect.fn("PaymentRepo.settleRefund")(
        function*(id: RefundId, outcome: { readonly providerRefundId: string } | { readonly failureReason: string }) {
          if ("failureReason" in outcome) {
            yield* sql`UPDATE refunds SET status = 'failed', failure_reason = ${outcome.failureReason},
              updated_at = now() WHERE id = ${id} AND status = 'pending'`
            return
          }
          const [refund] = yield* refunds(
            Schema.String,
            (refundId) =>
              sql`UPDATE refunds SET status = 'succeeded', provider_refund_id = ${outcome.providerRefundId},
                  updated_at = now()
                WHERE id = ${refundId} AND status = 'pending' RETURNING *`
          )(id)
          if (refund === undefined) return
          yield* sql`UPDATE payments SET refunded_cents = refunded_cents + ${refund.amountCents},
              status = CASE WHEN refunded_cents + ${refund.amountCents} >= amount_cents THEN 'refunded' ELSE status END,
              updated_at = now()
            WHERE id = ${refund.paymentId}`
        },
        sql.withTransaction,
        collapse
      )

      const unsettledRows = payments(
        IdleQuery,
        ({ limit, seconds }) =>
          sql`SELECT * FROM payments WHERE status = 'pending_unknown'
            OR (status = 'pending' AND updated_at < now() - make_interval(secs => ${seconds}))
          ORDER BY updated_at LIMIT ${limit}`
      )
      const beginAttemptRow = payments(
        PaymentId,
        (id) =>
          sql`UPDATE payments SET updated_at = now() WHERE id = ${id} AND status IN ('pending', 'pending_unknown')
          RETURNING *`
      )
      const failIdleRow = payments(
        Schema.Struct({ id: PaymentId, seconds: Schema.Number, reason: Schema.String }),
        ({ id, reason, seconds }) =>
          sql`UPDATE payments SET status = 'failed', failure_reason = ${reason}, updated_at = now()
            WHERE id = ${id} AND status IN ('pending', 'pending_unknown')
              AND updated_at < now() - make_interval(secs => ${seconds})
            RETURNING *`
      )
      const pendingRefundRows = refunds(
        IdleQuery,
        ({ limit, seconds }) =>
          sql`SELECT * FROM refunds WHERE status = 'pending'
            AND updated_at < now() - make_interval(secs => ${seconds})
          ORDER BY updated_at LIMIT ${limit}`
      )

      return PaymentRepo.of({
        insertOrGet,
        findById: (id) => collapse(Effect.map(byId(id), first)),
        findByOrderId: (orderId) => collapse(Effect.map(byOrder(orderId), first)),
        settle,
        unsettled: (idleFor, limit) => collapse(unsettledRows({ seconds: idle(idleFor), limit })),
        beginAttempt: (id) => collapse(Effect.map(beginAttemptRow(id), first)),
        failIfIdle: (id, idleFor, reason) =>
          collapse(Effect.map(failIdleRow({ id, seconds: idle(idleFor), reason }), first)),
        refundsOf: (paymentId) => collapse(refundsOfPayment(paymentId)),
        findRefund: (id) => collapse(Effect.map(refundById(id), first)),
        beginRefund,
        settleRefund,
        pendingRefunds: (idleFor, limit) => collapse(pendingRefundRows({ seconds: idle(idleFor), limit }))
      })
    })
  )
}
