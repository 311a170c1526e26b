import type { KnownEvent, Order } from "@shop/domain"
import { Effect } from "effect"
import type { ActiveStep, SagaFacts, SagaState } from "./SagaState.ts"

/**
 * The saga mechanism's vocabulary: what running one step decided. The business (which step follows which, what
 * each error means) lives in the step table of `CheckoutSaga.ts`; the runner persists decisions and schedules
 * retries, whatever the steps are.
 */
export type Decision =
  /** Move on to `step` now, with what this step learned; `order` is the order after it, when it changed. */
  | {
    readonly _tag: "Advance"
    readonly step: ActiveStep
    readonly facts: SagaFacts
    readonly order?: Order | undefined
  }
  /**
   * Move on to `step` now without storing the move: one statement fewer on the way. Should the process die before
   * the next stored decision, the saga resumes at the step it left, from the state stored before it; that step must
   * then end where this run did: its calls are keyed by the order, and it recognises the work done after it (the
   * charge step, a committed reservation).
   */
  | {
    readonly _tag: "Proceed"
    readonly step: ActiveStep
    readonly facts: SagaFacts
    readonly order?: Order | undefined
  }
  /**
   * Run the same step again after a backoff. `orElse` is what to do instead once the step has failed
   * SAGA_MAX_ATTEMPTS times; a retry without it is unbounded (compensations, and waiting for an outcome).
   */
  | { readonly _tag: "Retry"; readonly error: string; readonly orElse?: Decision | undefined }
  /** End the saga: the order's final state and the event that announces it, persisted in one transaction. */
  | {
    readonly _tag: "Finish"
    readonly step: "confirmed" | "failed"
    readonly order: Order
    readonly event: KnownEvent
  }

export const advance = (step: ActiveStep, facts: SagaFacts = {}, order?: Order): Decision => ({
  _tag: "Advance",
  step,
  facts,
  order
})

/** See the `Proceed` decision: for a step whose run again after a crash ends where this run did. */
export const proceed = (step: ActiveStep, facts: SagaFacts = {}, order?: Order): Decision => ({
  _tag: "Proceed",
  step,
  facts,
  order
})

export const retry = (error: string, orElse?: Decision): Decision => ({ _tag: "Retry", error, orElse })

export const finish = (step: "confirmed" | "failed", change: { readonly order: Order; readonly event: KnownEvent }) =>
  ({ _tag: "Finish", step, order: change.order, event: change.event }) satisfies Decision

/**
 * How the runner runs a step. `previous` is the step that ran just before it in the same pass of the runner, whose
 * decision was persisted a moment ago (or, for a `Proceed`, not persisted); undefined when the state was read back from the database (a retry after a
 * backoff, a saga resumed after a crash or taken over from an expired lease). `afterSuccess` runs once the step's
 * calls succeeded and before the decision is stored (the crash tests' failpoints).
 */
export interface StepRun {
  readonly previous: ActiveStep | undefined
  readonly afterSuccess: Effect.Effect<void>
}

/** One step, ready to run: its errors are already classified into decisions. */
export type Step = (saga: SagaState, order: Order, run: StepRun) => Effect.Effect<Decision>

/**
 * A step from what it does and what each of its errors means. A defect is left to the runner (the saga's lease
 * expires and the step runs again).
 */
export const step = <E>(definition: {
  readonly run: (saga: SagaState, order: Order, previous: ActiveStep | undefined) => Effect.Effect<Decision, E>
  readonly onError: (error: E, saga: SagaState) => Decision
}): Step =>
(saga, order, { afterSuccess, previous }) =>
  definition.run(saga, order, previous).pipe(
    Effect.tap((decision) => decision._tag === "Retry" ? Effect.void : afterSuccess),
    Effect.catch((error) => Effect.succeed(definition.onError(error, saga)))
  )

/** The steps of a saga, one per active step. */
export type StepTable = { readonly [S in ActiveStep]: Step }

/** The decision to act on: a bounded retry that has used its attempts gives way to its `orElse`. */
export const settle = (decision: Decision, attempts: number, maxAttempts: number): Decision =>
  decision._tag === "Retry" && decision.orElse !== undefined && attempts + 1 >= maxAttempts
    ? decision.orElse
    : decision

/** A retry whose message names the error, for the saga's `last_error`. */
export const retryOn = (error: { readonly _tag: string; readonly message: string }, orElse?: Decision) =>
  retry(`${error._tag}: ${error.message}`, orElse)
