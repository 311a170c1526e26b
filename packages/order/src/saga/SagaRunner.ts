import { Cause, Clock, Context, Effect, Layer, Metric, Option, Schedule, Semaphore } from "effect"
import { Headers, HttpTraceContext } from "effect/http"
import type { PaymentClient } from "./clients/PaymentClient.ts"
import type { ProductClient } from "./clients/ProductClient.ts"
import type { Failpoints } from "./Failpoints.ts"
import { OrderConfig } from "./OrderConfig.ts"
import * as OrderMetrics from "./OrderMetrics.ts"
import { OrderRepo } from "./OrderRepo.ts"
import { type OrderRecord, type SagaState, terminalSteps, type Transition } from "./SagaState.ts"
import { advance } from "./SagaSteps.ts"
import { SagaStore } from "./SagaStore.ts"

const parentOf = (traceparent: string | undefined) =>
  traceparent === undefined
    ? Option.none()
    : HttpTraceContext.fromHeaders(Headers.fromRecordUnsafe({ traceparent }))

/**
 * Drives sagas to a terminal state: a new one right after its order is stored, and, by polling, every saga that is
 * due (a retry whose backoff has passed, or one whose lease expired because its process died). Polling at start-up
 * is what resumes the sagas of a crashed process.
 */
export class SagaRunner extends Context.Service<SagaRunner, {
  /** Drives a saga just created (and leased) by this process, in the background. */
  readonly start: (state: SagaState) => Effect.Effect<void>
}>()("order/SagaRunner") {
  static readonly layer = Layer.effect(
    SagaRunner,
    Effect.gen(function*() {
      const config = yield* OrderConfig
      const store = yield* SagaStore
      const repo = yield* OrderRepo
      const context = yield* Effect.context<ProductClient | PaymentClient | Failpoints | OrderConfig>()
      const scope = yield* Effect.scope
      const permits = yield* Semaphore.make(config.concurrency)
      const running = new Set<string>()

      const runStep = (state: SagaState, order: OrderRecord) =>
        Effect.gen(function*() {
          const started = yield* Clock.currentTimeMillis
          const transition: Transition = yield* advance(state, order).pipe(Effect.provideContext(context))
          const seconds = ((yield* Clock.currentTimeMillis) - started) / 1000
          yield* Metric.update(Metric.withAttributes(OrderMetrics.sagaStepDuration, { step: state.step }), seconds)
          const next = yield* store.apply(state, order, transition)
          if (transition._tag === "Confirmed") {
            yield* Metric.update(OrderMetrics.ordersConfirmed, 1)
            yield* Metric.update(OrderMetrics.orderRevenue, order.totalCents / 100)
          } else if (transition._tag === "Failed") {
            const reason = state.failure?.reason ?? "internal"
            yield* Metric.update(Metric.withAttributes(OrderMetrics.ordersFailed, { reason }), 1)
          } else if (transition._tag === "Retry") {
            yield* Effect.logWarning("saga step will be retried", state.step, transition.error)
          }
          return next
        })

      const drive = (initial: SagaState) =>
        Effect.gen(function*() {
          // What the steps read of the order (lines, total, payment method) never changes: read it once.
          const order = yield* repo.findById(initial.orderId).pipe(Effect.map(Option.getOrUndefined))
          if (order === undefined) return yield* Effect.die(new Error(`saga of unknown order ${initial.orderId}`))
          let state: SagaState | undefined = initial
          while (state !== undefined && !terminalSteps.includes(state.step)) {
            state = yield* runStep(state, order)
          }
        }).pipe(
          Effect.withSpan("SagaRunner.drive", {
            parent: Option.getOrUndefined(parentOf(initial.traceparent)),
            attributes: { "order.id": initial.orderId, "saga.id": initial.sagaId }
          }),
          Effect.annotateLogs({ order_id: initial.orderId, saga_id: initial.sagaId }),
          // A crash of this fiber leaves the lease to expire; the poller then resumes the saga.
          Effect.catchCause((cause) =>
            Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.logError("saga run failed", cause)
          ),
          permits.withPermits(1),
          Effect.ensuring(Effect.sync(() => running.delete(initial.orderId)))
        )

      const launch = (state: SagaState): Effect.Effect<void> =>
        Effect.suspend(() => {
          if (running.has(state.orderId)) return Effect.void
          running.add(state.orderId)
          return Effect.asVoid(Effect.forkIn(drive(state), scope))
        })

      const poll = Effect.gen(function*() {
        const room = config.concurrency - running.size
        if (room <= 0) return
        for (const state of yield* store.claimDue(room)) yield* launch(state)
      }).pipe(Effect.catchCause((cause) => Effect.logError("saga poll failed", cause)))

      yield* poll.pipe(Effect.repeat(Schedule.spaced(config.pollInterval)), Effect.forkIn(scope))
      return SagaRunner.of({ start: launch })
    })
  )
}
