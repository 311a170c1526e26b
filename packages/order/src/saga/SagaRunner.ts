import type { Order } from "@shop/domain"
import { idlePolling } from "@shop/service-defaults/events/IdlePolling"
import * as Backoff from "@shop/service-defaults/resilience/Backoff"
import { Cause, Clock, Context, Effect, Layer, Metric, Option, Semaphore } from "effect"
import { Headers, HttpTraceContext } from "effect/http"
import { CheckoutSaga } from "../CheckoutSaga.ts"
import { Failpoints } from "../Failpoints.ts"
import { OrderConfig } from "../OrderConfig.ts"
import * as OrderMetrics from "../OrderMetrics.ts"
import { OrderRepo } from "../OrderRepo.ts"
import { settle } from "./Saga.ts"
import { type ActiveStep, isTerminal, type SagaState } from "./SagaState.ts"
import { SagaStore } from "./SagaStore.ts"

const parentOf = (traceparent: string | undefined) =>
  traceparent === undefined
    ? Option.none()
    : HttpTraceContext.fromHeaders(Headers.fromRecordUnsafe({ traceparent }))

/**
 * Drives sagas to a terminal state: a new one right after its order is stored, and, by polling, every saga that is
 * due (a retry whose backoff has passed, or one whose lease expired because its process died). Polling at start-up
 * is what resumes the sagas of a crashed process. Each step's decision is persisted before the next step runs,
 * except a `Proceed`: the next step then runs at once, and the store's guards keep comparing against the state last
 * stored (a runner that lost the saga meanwhile still writes nothing). A failed attempt is retried after the saga
 * backoff, and a bounded step takes its `orElse` after SAGA_MAX_ATTEMPTS.
 */
export class SagaRunner extends Context.Service<SagaRunner, {
  /**
   * Drives a saga just created (and leased) by this process, with its order, in the background; `previous` is the
   * step whose work was done while the order was placed, if any.
   */
  readonly start: (saga: SagaState, order: Order, previous?: ActiveStep) => Effect.Effect<void>
}>()("order/SagaRunner") {
  static readonly layer = Layer.effect(
    SagaRunner,
    Effect.gen(function*() {
      const config = yield* OrderConfig
      const store = yield* SagaStore
      const repo = yield* OrderRepo
      const steps = yield* CheckoutSaga
      const failpoints = yield* Failpoints
      const scope = yield* Effect.scope
      const permits = yield* Semaphore.make(config.concurrency)
      const running = new Set<string>()
      const backoff: Backoff.Backoff = { base: config.retryBase, cap: config.retryCap, jitter: "equal" }

      /**
       * Runs the saga's step and persists its decision; the next state to run now, if any. `stored` is the saga as
       * its row holds it, which differs from `saga` after a `Proceed`.
       */
      const runStep = (saga: SagaState, stored: SagaState, order: Order, previous: ActiveStep | undefined) =>
        Effect.gen(function*() {
          if (isTerminal(saga.step)) return undefined
          const current = saga.step
          const started = yield* Clock.currentTimeMillis
          const decided = yield* steps[current](saga, order, {
            previous,
            afterSuccess: failpoints.hit(`after_${current}`)
          })
          const seconds = ((yield* Clock.currentTimeMillis) - started) / 1000
          yield* Metric.update(Metric.withAttributes(OrderMetrics.sagaStepDuration, { step: saga.step }), seconds)
          const decision = settle(decided, saga.attempts, config.maxAttempts)
          switch (decision._tag) {
            case "Retry": {
              yield* Effect.logWarning("saga step will be retried", saga.step, decision.error)
              yield* store.retry(stored, decision.error, yield* Backoff.delay(backoff, stored.attempts + 1))
              return undefined
            }
            case "Advance": {
              const next = saga.advance(decision.step, decision.facts)
              // The order's change of a step that proceeded before this one is in `order`, and is stored with it.
              const changed = decision.order ?? (stored === saga ? undefined : order)
              const won = yield* store.advance(stored, next, changed)
              return won ? { saga: next, stored: next, order: decision.order ?? order, previous: current } : undefined
            }
            case "Proceed": {
              const next = saga.advance(decision.step, decision.facts)
              return { saga: next, stored, order: decision.order ?? order, previous: current }
            }
            case "Finish": {
              if (!(yield* store.finish(stored, decision.step, decision.order, decision.event))) return undefined
              if (decision.step === "confirmed") {
                yield* Metric.update(OrderMetrics.ordersConfirmed, 1)
                yield* Metric.update(OrderMetrics.orderRevenue, decision.order.totalCents / 100)
              } else {
                const reason = saga.failure?.reason ?? "internal"
                yield* Metric.update(Metric.withAttributes(OrderMetrics.ordersFailed, { reason }), 1)
              }
              return undefined
            }
          }
        })

      // A saga created by this process comes with its order; one claimed from the database reads it.
      const orderOf = (saga: SagaState, known: Order | undefined) =>
        known === undefined
          ? Effect.flatMap(repo.findById(saga.orderId).pipe(Effect.orDie), (found) =>
            Option.isNone(found)
              ? Effect.die(new Error(`saga of unknown order ${saga.orderId}`))
              : Effect.succeed(found.value))
          : Effect.succeed(known)

      const drive = (initial: SagaState, known: Order | undefined, previous: ActiveStep | undefined) =>
        Effect.gen(function*() {
          let current:
            | {
              readonly saga: SagaState
              readonly stored: SagaState
              readonly order: Order
              readonly previous: ActiveStep | undefined
            }
            | undefined = { saga: initial, stored: initial, order: yield* orderOf(initial, known), previous }
          while (current !== undefined) {
            current = yield* runStep(current.saga, current.stored, current.order, current.previous)
          }
        }).pipe(
          Effect.withSpan("SagaRunner.drive", {
            parent: Option.getOrUndefined(parentOf(initial.traceparent)),
            attributes: { "order.id": initial.orderId, "saga.id": initial.sagaId }
          }, { captureStackTrace: false }),
          Effect.annotateLogs({ order_id: initial.orderId, saga_id: initial.sagaId }),
          // A crash of this fiber leaves the lease to expire; the poller then resumes the saga.
          Effect.catchCause((cause) =>
            Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.logError("saga run failed", cause)
          ),
          permits.withPermits(1),
          Effect.ensuring(Effect.sync(() => running.delete(initial.orderId)))
        )

      const launch = (saga: SagaState, order?: Order, previous?: ActiveStep): Effect.Effect<void> =>
        Effect.suspend(() => {
          if (running.has(saga.orderId)) return Effect.void
          running.add(saga.orderId)
          return Effect.asVoid(Effect.forkIn(drive(saga, order, previous), scope))
        })

      /** Claims the sagas that are due and launches them; whether there was work (a failed poll counts as work). */
      const poll = Effect.gen(function*() {
        const room = config.concurrency - running.size
        if (room <= 0) return true
        const due = yield* store.claimDue(room)
        for (const saga of due) yield* launch(saga)
        return due.length > 0
      }).pipe(Effect.catchCause((cause) => Effect.as(Effect.logError("saga poll failed", cause), true)))

      const polling = idlePolling(config.pollInterval, config.maxPollInterval)
      const pollForever = Effect.forever(
        Effect.flatMap(poll, (busy) => {
          if (!busy) return Effect.sleep(polling.idle())
          polling.busy()
          return Effect.sleep(config.pollInterval)
        })
      )
      yield* Effect.forkIn(pollForever, scope)
      return SagaRunner.of({ start: launch })
    })
  )
}
