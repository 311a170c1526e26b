import { Conflict, ServiceUnavailable } from "@shop/domain"
import { Context, Duration, Effect, Layer, Option } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import {
  PaymentKeys,
  type PaymentRecord,
  type PaymentState,
  type RefundRecord,
  toPayment,
  toRefund
} from "./PaymentRecord.ts"

export interface NewPayment {
  readonly id: string
  readonly orderId: string
  readonly amountCents: number
  readonly currency: string
  readonly paymentMethod: string
  readonly idempotencyKey: string
}

export interface Settlement {
  readonly status: Exclude<PaymentState, "pending" | "refunded">
  readonly providerChargeId?: string | undefined
  readonly failureReason?: string | undefined
}

type Rows = ReadonlyArray<Record<string, unknown>>

/** failure_reason of a payment the processor never saw. */
export const notProcessed = "not_processed"
const unavailable = (error: SqlError.SqlError) =>
  new ServiceUnavailable({ service: "payment-database", detail: error.message })

/** Payments and refunds in PostgreSQL. Every status change is guarded by the state it leaves. */
export class PaymentRepo extends Context.Service<PaymentRepo, {
  /** One payment per order: inserts it, or returns the order's existing payment (`created` false). */
  readonly insertOrGet: (
    input: NewPayment
  ) => Effect.Effect<{ readonly payment: PaymentRecord; readonly created: boolean }, ServiceUnavailable>
  readonly findById: (id: string) => Effect.Effect<Option.Option<PaymentRecord>, ServiceUnavailable>
  readonly findByOrderId: (orderId: string) => Effect.Effect<Option.Option<PaymentRecord>, ServiceUnavailable>
  /**
   * Moves a pending or pending_unknown payment on; a payment already settled is returned unchanged, except that the
   * processor's word that a charge succeeded overrides an earlier "never processed" verdict: money taken is never
   * hidden.
   */
  readonly settle: (id: string, to: Settlement) => Effect.Effect<PaymentRecord, ServiceUnavailable>
  /** pending_unknown payments, and pending ones untouched for `idleFor` (their request died), oldest first. */
  readonly unsettled: (
    idleFor: Duration.Duration,
    limit: number
  ) => Effect.Effect<ReadonlyArray<PaymentRecord>, ServiceUnavailable>
  /**
   * Marks the start of an attempt (updated_at = now) on an unsettled payment; None when it is settled already,
   * in which case nothing may be sent. An attempt that started keeps the reconciler's `failIfIdle` away.
   */
  readonly beginAttempt: (id: string) => Effect.Effect<Option.Option<PaymentRecord>, ServiceUnavailable>
  /** Fails an unsettled payment untouched for `idleFor`, in one statement with the idleness check. */
  readonly failIfIdle: (
    id: string,
    idleFor: Duration.Duration,
    reason: string
  ) => Effect.Effect<Option.Option<PaymentRecord>, ServiceUnavailable>
  readonly refundsOf: (paymentId: string) => Effect.Effect<ReadonlyArray<RefundRecord>, ServiceUnavailable>
  readonly findRefund: (id: string) => Effect.Effect<Option.Option<RefundRecord>, ServiceUnavailable>
  /**
   * Reserves a refund under the payment's row lock: checks what is still refundable (pending refunds count) and
   * takes the next sequence number. Fails with Conflict when the payment cannot be refunded by that much.
   */
  readonly beginRefund: (input: {
    readonly id: string
    readonly paymentId: string
    readonly amountCents: number | undefined
    readonly reason: string
    readonly idempotencyKey: string
  }) => Effect.Effect<RefundRecord, ServiceUnavailable | Conflict>
  /** Settles a pending refund; a success adds to the payment's refunded_cents (status refunded when full). */
  readonly settleRefund: (
    id: string,
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
      const one = (rows: Rows) => Option.map(Option.fromNullishOr(rows[0]), toPayment)
      const byId = (id: string) =>
        Effect.map(sql<Record<string, unknown>>`SELECT * FROM payments WHERE id = ${id}`, one)
      const millis = (d: Duration.Duration) => Math.max(0, Math.round(Duration.toMillis(d)))

      const insertOrGet = Effect.fn("PaymentRepo.insertOrGet")(function*(input: NewPayment) {
        const inserted = yield* sql<Record<string, unknown>>`
          INSERT INTO payments (id, order_id, status, amount_cents, currency, payment_method,
            provider_idempotency_key, idempotency_key)
          VALUES (${input.id}, ${input.orderId}, 'pending', ${input.amountCents}, ${input.currency},
            ${input.paymentMethod}, ${PaymentKeys.charge(input.orderId)}, ${input.idempotencyKey})
          ON CONFLICT (order_id) DO NOTHING
          RETURNING *`
        if (inserted[0] !== undefined) return { payment: toPayment(inserted[0]), created: true }
        const existing = yield* sql<Record<string, unknown>>`SELECT * FROM payments WHERE order_id = ${input.orderId}`
        if (existing[0] === undefined) return yield* Effect.die(new Error(`payment of ${input.orderId} vanished`))
        return { payment: toPayment(existing[0]), created: false }
      }, Effect.mapError(unavailable))

      const settle = Effect.fn("PaymentRepo.settle")(function*(id: string, to: Settlement) {
        const rows = yield* sql<Record<string, unknown>>`
          UPDATE payments SET status = ${to.status},
            provider_charge_id = COALESCE(${to.providerChargeId ?? null}, provider_charge_id),
            failure_reason = ${to.failureReason ?? null}, updated_at = now()
          WHERE id = ${id} AND (status IN ('pending', 'pending_unknown')
            OR (${to.status} = 'succeeded' AND status = 'failed' AND failure_reason = ${notProcessed}))
          RETURNING *`
        if (rows[0] !== undefined) return toPayment(rows[0])
        return yield* Effect.flatMap(
          byId(id),
          Option.match({
            onNone: () => Effect.die(new Error(`payment ${id} vanished`)),
            onSome: Effect.succeed
          })
        )
      }, Effect.mapError(unavailable))

      const beginRefund = Effect.fn("PaymentRepo.beginRefund")(
        function*(input: {
          readonly id: string
          readonly paymentId: string
          readonly amountCents: number | undefined
          readonly reason: string
          readonly idempotencyKey: string
        }) {
          const [row] = yield* sql<
            Record<string, unknown>
          >`SELECT * FROM payments WHERE id = ${input.paymentId} FOR UPDATE`
          if (row === undefined) return yield* Effect.die(new Error(`payment ${input.paymentId} vanished`))
          const payment = toPayment(row)
          if (payment.status !== "succeeded") {
            return yield* new Conflict({
              detail: `payment ${payment.id} is ${payment.status}; only succeeded payments can be refunded`
            })
          }
          const [held] = yield* sql<{ pending: unknown; seq: unknown }>`
          SELECT COALESCE(SUM(amount_cents) FILTER (WHERE status = 'pending'), 0) AS pending, COUNT(*) AS seq
          FROM refunds WHERE payment_id = ${payment.id}`
          const refundable = payment.amountCents - payment.refundedCents - Number(held?.pending ?? 0)
          const amount = input.amountCents ?? refundable
          if (refundable <= 0 || amount > refundable) {
            return yield* new Conflict({
              detail: `payment ${payment.id}: ${amount} requested, ${refundable} refundable`
            })
          }
          const seq = Number(held?.seq ?? 0) + 1
          const [refund] = yield* sql<Record<string, unknown>>`
          INSERT INTO refunds (id, payment_id, seq, amount_cents, status, provider_idempotency_key, reason, idempotency_key)
          VALUES (${input.id}, ${payment.id}, ${seq}, ${amount}, 'pending', ${PaymentKeys.refund(payment.id, seq)},
            ${input.reason}, ${input.idempotencyKey})
          RETURNING *`
          return toRefund(refund!)
        },
        sql.withTransaction,
        Effect.catchTag("SqlError", (error) => Effect.fail(unavailable(error)))
      )

      const settleRefund = Effect.fn("PaymentRepo.settleRefund")(
        function*(
          id: string,
          outcome: { readonly providerRefundId: string } | { readonly failureReason: string }
        ) {
          if ("failureReason" in outcome) {
            yield* sql`UPDATE refunds SET status = 'failed', failure_reason = ${outcome.failureReason}, updated_at = now()
            WHERE id = ${id} AND status = 'pending'`
            return
          }
          const [refund] = yield* sql<{ payment_id: string; amount_cents: unknown }>`
          UPDATE refunds SET status = 'succeeded', provider_refund_id = ${outcome.providerRefundId}, updated_at = now()
          WHERE id = ${id} AND status = 'pending' RETURNING payment_id, amount_cents`
          if (refund === undefined) return
          yield* sql`
          UPDATE payments SET refunded_cents = refunded_cents + ${Number(refund.amount_cents)},
            status = CASE WHEN refunded_cents + ${
            Number(refund.amount_cents)
          } >= amount_cents THEN 'refunded' ELSE status END,
            updated_at = now()
          WHERE id = ${refund.payment_id}`
        },
        sql.withTransaction,
        Effect.mapError(unavailable)
      )

      return PaymentRepo.of({
        insertOrGet,
        findById: (id) => byId(id).pipe(Effect.mapError(unavailable)),
        findByOrderId: (orderId) =>
          sql<Record<string, unknown>>`SELECT * FROM payments WHERE order_id = ${orderId}`.pipe(
            Effect.map(one),
            Effect.mapError(unavailable)
          ),
        settle,
        unsettled: (idleFor, limit) =>
          sql<Record<string, unknown>>`
            SELECT * FROM payments WHERE status = 'pending_unknown'
              OR (status = 'pending' AND updated_at < now() - make_interval(secs => ${millis(idleFor) / 1000}))
            ORDER BY updated_at LIMIT ${limit}`.pipe(
            Effect.map((rows) => rows.map(toPayment)),
            Effect.mapError(unavailable)
          ),
        beginAttempt: (id) =>
          sql<Record<string, unknown>>`
            UPDATE payments SET updated_at = now() WHERE id = ${id} AND status IN ('pending', 'pending_unknown')
            RETURNING *`.pipe(Effect.map(one), Effect.mapError(unavailable)),
        failIfIdle: (id, idleFor, reason) =>
          sql<Record<string, unknown>>`
            UPDATE payments SET status = 'failed', failure_reason = ${reason}, updated_at = now()
            WHERE id = ${id} AND status IN ('pending', 'pending_unknown')
              AND updated_at < now() - make_interval(secs => ${millis(idleFor) / 1000})
            RETURNING *`.pipe(Effect.map(one), Effect.mapError(unavailable)),
        refundsOf: (paymentId) =>
          sql<Record<string, unknown>>`SELECT * FROM refunds WHERE payment_id = ${paymentId} ORDER BY seq`.pipe(
            Effect.map((rows) => rows.map(toRefund)),
            Effect.mapError(unavailable)
          ),
        findRefund: (id) =>
          sql<Record<string, unknown>>`SELECT * FROM refunds WHERE id = ${id}`.pipe(
            Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]), toRefund)),
            Effect.mapError(unavailable)
          ),
        beginRefund,
        settleRefund,
        pendingRefunds: (idleFor, limit) =>
          sql<Record<string, unknown>>`
            SELECT * FROM refunds WHERE status = 'pending'
              AND updated_at < now() - make_interval(secs => ${millis(idleFor) / 1000})
            ORDER BY updated_at LIMIT ${limit}`.pipe(
            Effect.map((rows) => rows.map(toRefund)),
            Effect.mapError(unavailable)
          )
      })
    })
  )
}
