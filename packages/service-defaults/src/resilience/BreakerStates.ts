import { Effect, Metric } from "effect"
import { breakerStateValue, circuitBreakerState } from "./BreakerTelemetry.ts"

/** A breaker's state as the operator console names it. */
export type BreakerStateName = "closed" | "half_open" | "open"

const names: Record<number, BreakerStateName> = {
  [breakerStateValue.Closed]: "closed",
  [breakerStateValue.HalfOpen]: "half_open",
  [breakerStateValue.Open]: "open"
}

/**
 * The state of this process's breaker of `dependency`, read from the `circuit_breaker_state` gauge that
 * `reportBreakerTransitions` keeps at every transition: the same fact the metrics export, with no second bookkeeping.
 * A breaker that never reported (no call made yet) is closed.
 */
export const breakerState = (dependency: string): Effect.Effect<BreakerStateName> =>
  Effect.map(
    Metric.value(Metric.withAttributes(circuitBreakerState, { dependency })),
    (gauge) => names[Number(gauge.value)] ?? "closed"
  )
