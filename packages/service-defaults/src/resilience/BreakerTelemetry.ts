import { Duration, Effect, Metric, type Scope, Stream } from "effect"
import type { CircuitBreaker } from "effect/persistence"

/** `circuit_breaker_state{dependency}`: 0 closed, 1 half-open, 2 open. */
export const circuitBreakerState = Metric.gauge("circuit_breaker_state", {
  description: "Circuit breaker state per dependency: 0 closed, 1 half-open, 2 open."
})

export const breakerStateValue = { Closed: 0, HalfOpen: 1, Open: 2 } as const

/**
 * Sets the state gauge of `dependency` now and on every transition, and logs each transition (a warning when the
 * circuit opens), for the lifetime of the scope.
 */
export const reportBreakerTransitions = (
  breaker: CircuitBreaker.CircuitBreaker,
  dependency: string
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function*() {
    const gauge = Metric.withAttributes(circuitBreakerState, { dependency })
    const initial = yield* breaker.state(dependency).pipe(
      Effect.map((state) => state._tag),
      Effect.orElseSucceed(() => "Closed" as const)
    )
    yield* Metric.update(gauge, breakerStateValue[initial])
    yield* breaker.transitions.pipe(
      Stream.filter((transition) => transition.key === dependency),
      Stream.runForEach((transition) =>
        Effect.gen(function*() {
          yield* Metric.update(gauge, breakerStateValue[transition.to])
          const annotations = transition.to === "Open"
            ? { retry_after_ms: Duration.toMillis(transition.retryAfter) }
            : {}
          const log = transition.to === "Open" ? Effect.logWarning : Effect.logInfo
          yield* log(`circuit breaker ${transition.key}: ${transition.from} -> ${transition.to}`).pipe(
            Effect.annotateLogs({
              dependency: transition.key,
              from: transition.from,
              to: transition.to,
              ...annotations
            })
          )
        })
      ),
      Effect.forkScoped({ startImmediately: true })
    )
  })
