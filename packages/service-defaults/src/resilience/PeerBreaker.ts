import { ServiceUnavailable } from "@shop/domain"
import { type Duration, Effect, Exit } from "effect"
import { CircuitBreaker } from "effect/persistence"
import { fromUnary, type GrpcClient } from "../grpc/GrpcClient.ts"
import { reportBreakerTransitions } from "./BreakerTelemetry.ts"

export interface PeerBreakerOptions {
  /** Consecutive transport failures that open the circuit. */
  readonly failureThreshold: number
  /** How long it stays open before one probe call is let through. */
  readonly openDuration: Duration.Input
}

/**
 * Only a peer that cannot answer trips the circuit (unavailable, or past the deadline). A business answer (not
 * found, out of stock, declined) means the peer is healthy; an interrupted call says nothing.
 */
const classify = <A>(exit: Exit.Exit<A, { readonly _tag: string }>): CircuitBreaker.Outcome => {
  if (Exit.isSuccess(exit)) return CircuitBreaker.success
  const failure = exit.cause.reasons.find((reason) => reason._tag === "Fail")
  if (failure === undefined) {
    return exit.cause.reasons.some((reason) => reason._tag === "Die")
      ? CircuitBreaker.failure()
      : CircuitBreaker.ignored
  }
  const tag = failure.error._tag
  return tag === "ServiceUnavailable" || tag === "DeadlineExceeded" ? CircuitBreaker.failure() : CircuitBreaker.success
}

/**
 * The same client behind a circuit breaker keyed by the peer's name (one circuit per dependency, shared by every
 * caller in the process, or by every replica with a Redis store). While the circuit is open a call fails at once
 * with ServiceUnavailable instead of waiting for a deadline, which callers already treat as "try again later".
 * Transitions are logged and exported as `circuit_breaker_state{dependency}`. Needs a CircuitBreakerStore.
 */
export const withPeerBreaker = (client: GrpcClient, options: PeerBreakerOptions) =>
  Effect.gen(function*() {
    const breaker = yield* CircuitBreaker.make({
      tripPolicy: CircuitBreaker.consecutive(options.failureThreshold),
      openDuration: options.openDuration
    })
    yield* reportBreakerTransitions(breaker, client.service)
    const unary: GrpcClient["unary"] = (method, request, callOptions) =>
      client.unary(method, request, callOptions).pipe(
        breaker.execute({ key: client.service, classify }),
        Effect.catchTag("CircuitBreakerError", (error) =>
          Effect.fail(
            new ServiceUnavailable({ service: client.service, detail: `circuit breaker: ${error.message}` })
          ))
      )
    return fromUnary(client, unary)
  })
