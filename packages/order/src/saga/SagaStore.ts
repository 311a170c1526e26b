import { OrderConfirmed, OrderFailed, OrderId, PaymentId, TrackingNumber, UserId } from "@shop/domain"
import type { OrderFailureReason } from "@shop/domain"
import { Context, Duration, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"
import { randomInt } from "node:crypto"
import { OrderConfig } from "./OrderConfig.ts"
import { eventLines } from "./OrderEvents.ts"
import { appendToOutbox } from "./Outbox.ts"
import type { OrderRecord, SagaState, SagaStep, Transition } from "./SagaState.ts"

interface SagaRow {
  readonly order_id: string
  readonly saga_id: string
  readonly step: SagaStep
  readonly attempts: number
  readonly failure_reason: string | null
  readonly failure_detail: string | null
  readonly payment_id: string | null
  readonly reservation_expires_at: string | null
  readonly refunded: boolean
  readonly traceparent: string | null
}

const toState = (row: SagaRow): SagaState => ({
  orderId: row.order_id,
  sagaId: row.saga_id,
  step: row.step,
  attempts: row.attempts,
  failure: row.failure_reason === null
    ? undefined
    : { reason: row.failure_reason as OrderFailureReason, detail: row.failure_detail ?? row.failure_reason },
  paymentId: row.payment_id ?? undefined,
  reservationExpiresAt: row.reservation_expires_at === null ? undefined : new Date(row.reservation_expires_at),
  refunded: row.refunded,
  traceparent: row.traceparent ?? undefined
})

/** Backoff of the n-th retry (0-based): exponential from `base`, capped, with full jitter on the upper half. */
export const retryDelay = (attempts: number, base: Duration.Duration, cap: Duration.Duration): number => {
  const ceiling = Math.min(Duration.toMillis(cap), Duration.toMillis(base) * 2 ** Math.min(attempts, 20))
  return Math.round(ceiling / 2 + Math.random() * ceiling / 2)
}

/** A fresh tracking number: "TRK" and 9 digits. */
const trackingNumber = () => TrackingNumber.make(`TRK${randomInt(100_000_000, 1_000_000_000)}`)

/**
 * Persisted saga state. A saga is driven by whoever holds its lease (`locked_until`); each transition is written in
 * one transaction with the order change and the outbox event it implies.
 */
export class SagaStore extends Context.Service<SagaStore, {
  /** Inserts a saga at `reserve`, leased to the caller, who drives it right away. */
  readonly create: (orderId: string, sagaId: string, traceparent: string | undefined) => Effect.Effect<void, SqlError>
  /** Takes the leases of up to `limit` due sagas, skipping rows other runners hold. */
  readonly claimDue: (limit: number) => Effect.Effect<ReadonlyArray<SagaState>, SqlError>
  readonly find: (orderId: string) => Effect.Effect<SagaState | undefined, SqlError>
  /** Persists a transition; returns the next state to run now, or undefined when the saga stops here for now. */
  readonly apply: (
    state: SagaState,
    order: OrderRecord,
    transition: Transition
  ) => Effect.Effect<SagaState | undefined, SqlError>
}>()("order/SagaStore") {
  static readonly layer = Layer.effect(
    SagaStore,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const config = yield* OrderConfig
      const leaseMs = Duration.toMillis(config.lease)
      const returning = sql.literal(`order_id, saga_id, step, attempts, failure_reason, failure_detail, payment_id,
        to_char(reservation_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS reservation_expires_at,
        refunded, traceparent`)
      const leaseUntil = sql`now() + (${leaseMs} * interval '1 millisecond')`

      const create = Effect.fn("SagaStore.create")(function*(orderId: string, sagaId: string, tp: string | undefined) {
        yield* sql`INSERT INTO sagas (order_id, saga_id, step, traceparent, locked_until)
          VALUES (${orderId}, ${sagaId}, 'reserve', ${tp ?? null}, ${leaseUntil})`
      })
      const claimDue = Effect.fn("SagaStore.claimDue")(function*(limit: number) {
        const rows = yield* sql<SagaRow>`UPDATE sagas SET locked_until = ${leaseUntil}
          WHERE order_id IN (
            SELECT order_id FROM sagas
            WHERE step NOT IN ('confirmed', 'failed') AND next_attempt_at <= now()
              AND (locked_until IS NULL OR locked_until < now())
            ORDER BY next_attempt_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
          RETURNING ${returning}`
        return rows.map(toState)
      })
      const find = Effect.fn("SagaStore.find")(function*(orderId: string) {
        const rows = yield* sql<SagaRow>`SELECT ${returning} FROM sagas WHERE order_id = ${orderId}`
        return rows[0] === undefined ? undefined : toState(rows[0])
      })

      // Optimistic guard: a transition applies only to the state it was computed from. Another runner that took
      // the saga over (an expired lease) and moved it first makes this one stop, so no event is written twice.
      const current = (state: SagaState) =>
        sql`order_id = ${state.orderId} AND step = ${state.step} AND attempts = ${state.attempts}`
      const lost = (state: SagaState) =>
        Effect.logWarning("saga moved on by another runner; stopping", state.orderId, state.step).pipe(
          Effect.as(undefined)
        )

      const confirm = (state: SagaState, order: OrderRecord, paymentId: string) =>
        Effect.gen(function*() {
          const tracking = trackingNumber()
          const won = yield* sql`UPDATE sagas SET step = 'confirmed', locked_until = NULL, last_error = NULL,
            updated_at = now(), payment_id = ${paymentId} WHERE ${current(state)} RETURNING order_id`
          if (won.length === 0) return yield* lost(state)
          yield* sql`UPDATE orders SET status = 'confirmed', payment_status = 'completed', payment_id = ${paymentId},
            tracking_number = ${tracking}, confirmed_at = now(), updated_at = now() WHERE id = ${order.id}`
          yield* appendToOutbox(
            yield* OrderConfirmed.create({
              orderId: OrderId.make(order.id),
              userId: UserId.make(order.userId),
              paymentId: PaymentId.make(paymentId),
              items: eventLines(order),
              totalCents: order.totalCents as never,
              currency: order.currency as never,
              trackingNumber: tracking
            }, { traceparent: state.traceparent })
          )
        })

      const fail = (state: SagaState, order: OrderRecord) =>
        Effect.gen(function*() {
          const failure = state.failure ?? { reason: "internal", detail: "internal" }
          const won =
            yield* sql`UPDATE sagas SET step = 'failed', locked_until = NULL, last_error = NULL, updated_at = now()
            WHERE ${current(state)} RETURNING order_id`
          if (won.length === 0) return yield* lost(state)
          yield* sql`UPDATE orders SET status = 'failed', failure_reason = ${failure.detail},
            payment_status = ${state.refunded ? "refunded" : "failed"}, payment_id = ${state.paymentId ?? null},
            updated_at = now() WHERE id = ${order.id}`
          yield* appendToOutbox(
            yield* OrderFailed.create({
              orderId: OrderId.make(order.id),
              userId: UserId.make(order.userId),
              reason: failure.reason,
              detail: failure.detail
            }, { traceparent: state.traceparent })
          )
        })

      const apply = Effect.fn("SagaStore.apply")(function*(state: SagaState, order: OrderRecord, t: Transition) {
        switch (t._tag) {
          case "Retry": {
            const delay = retryDelay(state.attempts, config.retryBase, config.retryCap)
            yield* sql`UPDATE sagas SET attempts = attempts + 1, last_error = ${t.error.slice(0, 500)},
              next_attempt_at = now() + (${delay} * interval '1 millisecond'), locked_until = NULL, updated_at = now()
              WHERE ${current(state)}`
            return undefined
          }
          case "Confirmed":
            yield* sql.withTransaction(confirm(state, order, t.paymentId))
            return undefined
          case "Failed":
            yield* sql.withTransaction(fail(state, order))
            return undefined
          case "Next": {
            const next: SagaState = {
              ...state,
              step: t.step,
              attempts: 0,
              failure: state.failure ?? t.failure,
              paymentId: t.paymentId ?? state.paymentId,
              reservationExpiresAt: t.reservationExpiresAt ?? state.reservationExpiresAt,
              refunded: state.refunded || t.refunded === true
            }
            const won = yield* sql.withTransaction(Effect.gen(function*() {
              const updated = yield* sql`UPDATE sagas SET step = ${next.step}, attempts = 0, next_attempt_at = now(),
                locked_until = ${leaseUntil}, last_error = NULL, updated_at = now(),
                failure_reason = ${next.failure?.reason ?? null}, failure_detail = ${next.failure?.detail ?? null},
                payment_id = ${next.paymentId ?? null}, refunded = ${next.refunded},
                reservation_expires_at = ${next.reservationExpiresAt?.toISOString() ?? null}::timestamptz
                WHERE ${current(state)} RETURNING order_id`
              if (updated.length === 0) return false
              if (next.paymentId !== state.paymentId) {
                yield* sql`UPDATE orders SET payment_id = ${next.paymentId ?? null}, updated_at = now()
                  WHERE id = ${order.id}`
              }
              return true
            }))
            return won ? next : yield* lost(state)
          }
        }
      }, Effect.provideService(SqlClient.SqlClient, sql))
      return SagaStore.of({ create, claimDue, find, apply })
    })
  )
}
