import { type KnownEvent, type Order, OrderFailureReason, OrderId, PaymentId, SagaId, Traceparent } from "@shop/domain"
import { OutboxWakeUp } from "@shop/service-defaults/events/OutboxWakeUp"
import { Instant } from "@shop/service-defaults/SqlColumns"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, DateTime, Duration, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, SqlSchema, type Statement } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"
import { guardedStatement, guardMatched } from "../OneStatement.ts"
import { OrderConfig } from "../OrderConfig.ts"
import { OrderRepo } from "../OrderRepo.ts"
import { outboxInsert } from "../Outbox.ts"
import { SagaFailure, SagaState, SagaStep } from "./SagaState.ts"

/** A row of `sagas`, as the driver returns it. */
const SagaRow = Schema.Struct({
  order_id: OrderId,
  saga_id: SagaId,
  step: SagaStep,
  attempts: Schema.Int,
  failure_reason: Schema.NullOr(OrderFailureReason),
  failure_detail: Schema.NullOr(Schema.String),
  payment_id: Schema.NullOr(PaymentId),
  reservation_expires_at: Schema.NullOr(Instant),
  refunded: Schema.Boolean,
  traceparent: Schema.NullOr(Traceparent)
})
type SagaRow = typeof SagaRow.Type

const toState = (row: SagaRow): SagaState =>
  new SagaState({
    orderId: row.order_id,
    sagaId: row.saga_id,
    step: row.step,
    attempts: row.attempts,
    refunded: row.refunded,
    ...(row.failure_reason === null ? {} : {
      failure: new SagaFailure({ reason: row.failure_reason, detail: row.failure_detail ?? row.failure_reason })
    }),
    ...(row.payment_id === null ? {} : { paymentId: row.payment_id }),
    ...(row.reservation_expires_at === null ? {} : { reservationExpiresAt: row.reservation_expires_at }),
    ...(row.traceparent === null ? {} : { traceparent: row.traceparent })
  }, { disableChecks: true })

const columns = `order_id, saga_id, step, attempts, failure_reason, failure_detail, payment_id, reservation_expires_at,
  refunded, traceparent`

const toDate = (at: DateTime.Utc | undefined) => at === undefined ? null : DateTime.toDateUtc(at)

/**
 * Persisted saga state. A saga is driven by whoever holds its lease (`locked_until`). Each decision is written in
 * one statement with the order change and the outbox event it implies, and applies only to the state it was
 * computed from (same step, same attempt): another runner that took the saga over after an expired lease and moved
 * it first makes this one stop, so no event is written twice. The store decides nothing: it persists.
 */
export class SagaStore extends Context.Service<SagaStore, {
  /**
   * The statement that inserts a saga as it is (at its first step, or past the one done while placing the order),
   * leased to the caller, who drives it right away; it runs in the one statement that stores its order (`Orders`).
   */
  readonly insertStatement: (saga: SagaState) => Statement.Statement<never>
  /** Takes the leases of up to `limit` due sagas, skipping rows other runners hold. */
  readonly claimDue: (limit: number) => Effect.Effect<ReadonlyArray<SagaState>, SqlError>
  readonly find: (orderId: OrderId) => Effect.Effect<Option.Option<SagaState>, SqlError>
  /** Counts a failed attempt and makes the saga due again after `delay`; the lease is given back. */
  readonly retry: (saga: SagaState, error: string, delay: Duration.Duration) => Effect.Effect<void, SqlError>
  /** Moves the saga on (keeping its lease) with the order's change, if any; false when another runner won. */
  readonly advance: (saga: SagaState, next: SagaState, order?: Order) => Effect.Effect<boolean, SqlError>
  /**
   * Ends the saga with the order's final state and its event, and wakes the outbox relay; false when another runner
   * won.
   */
  readonly finish: (
    saga: SagaState,
    step: "confirmed" | "failed",
    order: Order,
    event: KnownEvent
  ) => Effect.Effect<boolean, SqlError>
}>()("order/SagaStore") {
  static readonly layer = Layer.effect(
    SagaStore,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const repo = yield* OrderRepo
      const config = yield* OrderConfig
      const outboxWakeUp = yield* OutboxWakeUp
      const leaseUntil = sql`now() + (${Duration.toMillis(config.lease)} * interval '1 millisecond')`
      const returning = sql.literal(columns)
      const decodeRows = (rows: ReadonlyArray<unknown>) =>
        Effect.map(Schema.decodeUnknownEffect(Schema.Array(SagaRow))(rows), (decoded) => decoded.map(toState))
          .pipe(Effect.orDie)

      const insertStatement = (saga: SagaState) =>
        sql<never>`INSERT INTO sagas (order_id, saga_id, step, attempts, failure_reason, failure_detail, payment_id,
            reservation_expires_at, refunded, traceparent, locked_until)
          VALUES (${saga.orderId}, ${saga.sagaId}, ${saga.step}, ${saga.attempts}, ${saga.failure?.reason ?? null},
            ${saga.failure?.detail ?? null}, ${saga.paymentId ?? null}, ${toDate(saga.reservationExpiresAt)},
            ${saga.refunded}, ${saga.traceparent ?? null}, ${leaseUntil})`

      const claimDue = traced("SagaStore.claimDue")(function*(limit: number) {
        return yield* decodeRows(
          yield* sql`UPDATE sagas SET locked_until = ${leaseUntil}
            WHERE order_id IN (
              SELECT order_id FROM sagas
              WHERE step NOT IN ('confirmed', 'failed') AND next_attempt_at <= now()
                AND (locked_until IS NULL OR locked_until < now())
              ORDER BY next_attempt_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
            RETURNING ${returning}`
        )
      })

      const findRow = SqlSchema.findOneOption({
        Request: OrderId,
        Result: SagaRow,
        execute: (orderId) => sql`SELECT ${returning} FROM sagas WHERE order_id = ${orderId}`
      })
      const find = traced("SagaStore.find")(function*(orderId: OrderId) {
        return Option.map(yield* findRow(orderId).pipe(Effect.catchTag("SchemaError", Effect.die)), toState)
      })

      const current = (saga: SagaState) =>
        sql`order_id = ${saga.orderId} AND step = ${saga.step} AND attempts = ${saga.attempts}`
      const lost = (saga: SagaState) =>
        Effect.logWarning("saga moved on by another runner; stopping", saga.orderId, saga.step).pipe(Effect.as(false))

      const retry = traced("SagaStore.retry")(function*(saga: SagaState, error: string, delay: Duration.Duration) {
        yield* sql`UPDATE sagas SET attempts = attempts + 1, last_error = ${error.slice(0, 500)},
          next_attempt_at = now() + (${Duration.toMillis(delay)} * interval '1 millisecond'), locked_until = NULL,
          updated_at = now()
          WHERE ${current(saga)}`
      })

      const moveStatement = (saga: SagaState, next: SagaState) =>
        sql`UPDATE sagas SET step = ${next.step}, attempts = 0, next_attempt_at = now(),
          locked_until = ${leaseUntil}, last_error = NULL, updated_at = now(),
          failure_reason = ${next.failure?.reason ?? null}, failure_detail = ${next.failure?.detail ?? null},
          payment_id = ${next.paymentId ?? null}, refunded = ${next.refunded},
          reservation_expires_at = ${toDate(next.reservationExpiresAt)}
          WHERE ${current(saga)} RETURNING order_id`

      /** Runs a saga's move with the writes it implies, as one statement; whether the move won. */
      const guarded = (move: Statement.Fragment, writes: ReadonlyArray<Statement.Fragment>) =>
        Effect.map(guardedStatement(sql, move, writes), ([row]) => (row?.matched ?? 0) > 0)

      // A move and the order's change in one statement: both, or neither when another runner moved the saga first.
      const advance = traced("SagaStore.advance")(function*(saga: SagaState, next: SagaState, order?: Order) {
        const move = moveStatement(saga, next)
        if (order === undefined) return (yield* move).length > 0
        return yield* guarded(move, [repo.saveStatement(order, guardMatched(sql))])
      })

      // The last move, the order's final state and its event in one statement: all of them, or none.
      const finish = traced("SagaStore.finish")(
        function*(saga: SagaState, step: "confirmed" | "failed", order: Order, event: KnownEvent) {
          const move = sql`UPDATE sagas SET step = ${step}, locked_until = NULL, last_error = NULL,
            updated_at = now(), payment_id = ${order.paymentId ?? null}
            WHERE ${current(saga)} RETURNING order_id`
          const eventInsert = yield* outboxInsert(event, guardMatched(sql)).pipe(
            Effect.provideService(SqlClient.SqlClient, sql)
          )
          if (!(yield* guarded(move, [repo.saveStatement(order, guardMatched(sql)), eventInsert]))) {
            return yield* lost(saga)
          }
          yield* outboxWakeUp.signal
          return true
        }
      )

      return SagaStore.of({
        insertStatement,
        claimDue,
        find,
        retry,
        advance: (saga, next, order) =>
          Effect.flatMap(advance(saga, next, order), (won) => (won ? Effect.succeed(true) : lost(saga))),
        finish
      })
    })
  )
}
