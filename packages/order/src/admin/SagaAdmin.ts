import { Conflict, NotFound, OrderId, SagaId, ServiceUnavailable } from "@shop/domain"
import { Instant } from "@shop/service-defaults/SqlColumns"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, Duration, Effect, Layer, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import { OrderConfig } from "../OrderConfig.ts"
import { SagaStep } from "../saga/SagaState.ts"

/**
 * The database is the order service's own: an outage is the service being unavailable; a row that does not decode is
 * a bug, a defect.
 */
export const orderDatabaseUnavailable = {
  SqlError: (error: { readonly message: string }): Effect.Effect<never, ServiceUnavailable> =>
    Effect.fail(new ServiceUnavailable({ service: "order-database", detail: error.message })),
  SchemaError: (error: unknown): Effect.Effect<never> => Effect.die(error)
}

/** A saga an operator may have to look at, as the console shows it. */
export const SagaSummary = Schema.Struct({
  order_id: OrderId,
  saga_id: SagaId,
  step: SagaStep,
  state: Schema.Literals(["retrying", "stuck"]),
  attempts: Schema.Int,
  last_error: Schema.NullOr(Schema.String),
  failure_reason: Schema.NullOr(Schema.String),
  next_attempt_at: Instant,
  created_at: Instant,
  updated_at: Instant
})
export type SagaSummary = typeof SagaSummary.Type

/**
 * The sagas as an operator sees them. Listed: a saga that has not ended and whose current step failed at least once
 * (retrying), or that failed SAGA_MAX_ATTEMPTS times or has not moved for SAGA_STUCK_AFTER (stuck: compensations
 * and waiting for the processor retry without limit, so only a person can tell why). A retry makes a saga due now;
 * the runner's next poll takes it, under its lease, like any other due saga, so an operator never races a runner.
 */
export class SagaAdmin extends Context.Service<SagaAdmin, {
  readonly list: (limit: number) => Effect.Effect<ReadonlyArray<SagaSummary>, ServiceUnavailable>
  readonly retry: (orderId: OrderId) => Effect.Effect<SagaSummary, NotFound | Conflict | ServiceUnavailable>
}>()("order/SagaAdmin") {
  static readonly layer = Layer.effect(
    SagaAdmin,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const config = yield* OrderConfig
      const stuckSince = sql`now() - (${Duration.toMillis(config.stuckAfter)} * interval '1 millisecond')`
      const stuck = sql`(attempts >= ${config.maxAttempts} OR updated_at < ${stuckSince})`
      // The failure's detail (`reservation_expired`) says more to an operator than its reason (`timeout`).
      const summary = sql`order_id, saga_id, step, attempts, last_error,
        COALESCE(failure_detail, failure_reason) AS failure_reason, next_attempt_at, created_at, updated_at,
        CASE WHEN ${stuck} THEN 'stuck' ELSE 'retrying' END AS state`

      const listed = SqlSchema.findAll({
        Request: Schema.Int,
        Result: SagaSummary,
        execute: (limit) =>
          sql`SELECT ${summary} FROM sagas
            WHERE step NOT IN ('confirmed', 'failed') AND (attempts > 0 OR ${stuck})
            ORDER BY created_at LIMIT ${limit}`
      })
      const one = SqlSchema.findAll({
        Request: OrderId,
        Result: SagaSummary,
        execute: (orderId) => sql`SELECT ${summary} FROM sagas WHERE order_id = ${orderId}`
      })
      const stateOf = SqlSchema.findAll({
        Request: OrderId,
        Result: Schema.Struct({ step: SagaStep, leased: Schema.Boolean }),
        execute: (orderId) =>
          sql`SELECT step, (locked_until IS NOT NULL AND locked_until >= now()) AS leased FROM sagas
            WHERE order_id = ${orderId}`
      })

      const retry = traced("SagaAdmin.retry")(function*(orderId: OrderId) {
        // Due now; the lease condition leaves a saga that a runner holds to that runner.
        const moved = yield* sql`UPDATE sagas SET next_attempt_at = now()
          WHERE order_id = ${orderId} AND step NOT IN ('confirmed', 'failed')
            AND (locked_until IS NULL OR locked_until < now())
          RETURNING order_id`
        if (moved.length === 0) {
          const [found] = yield* stateOf(orderId)
          if (found === undefined) return yield* new NotFound({ entity: "saga", id: orderId })
          return yield* new Conflict({
            detail: found.step === "confirmed" || found.step === "failed"
              ? `the saga of ${orderId} has ended (${found.step})`
              : `the saga of ${orderId} is being run right now; it needs no retry`
          })
        }
        yield* Effect.logInfo("saga made due by an operator").pipe(Effect.annotateLogs({ order_id: orderId }))
        const [row] = yield* one(orderId)
        return row ?? (yield* new NotFound({ entity: "saga", id: orderId }))
      })

      return SagaAdmin.of({
        list: (limit) => listed(limit).pipe(Effect.catchTags(orderDatabaseUnavailable)),
        retry: (orderId) => retry(orderId).pipe(Effect.catchTags(orderDatabaseUnavailable))
      })
    })
  )
}
