import { breakerStoreLayer } from "@shop/service-defaults/resilience/BreakerStore"
import { reportBreakerTransitions } from "@shop/service-defaults/resilience/BreakerTelemetry"
import { Context, Effect, Layer } from "effect"
import { CircuitBreaker } from "effect/persistence"
import { PaymentConfig } from "./PaymentConfig.ts"

/** The breaker key and metric label of the card processor. */
export const providerDependency = "payment-provider"

/**
 * The circuit breaker guarding the card processor: opens after N consecutive failures, rejects at once while
 * open, lets one probe through after the cool-down. Every transition is a log line and sets circuit_breaker_state.
 */
export class ProviderBreaker extends Context.Service<ProviderBreaker, {
  readonly breaker: CircuitBreaker.CircuitBreaker
  readonly key: string
}>()("payment/ProviderBreaker") {
  /** Needs a CircuitBreakerStore: {@link ProviderBreaker.layerStore} picks Redis or memory. */
  static readonly layerNoDeps = Layer.effect(
    ProviderBreaker,
    Effect.gen(function*() {
      const config = yield* PaymentConfig
      const breaker = yield* CircuitBreaker.make({
        tripPolicy: CircuitBreaker.consecutive(config.breakerFailureThreshold),
        openDuration: config.breakerCooldown
      })
      yield* reportBreakerTransitions(breaker, providerDependency)
      return ProviderBreaker.of({ breaker, key: providerDependency })
    })
  )

  /** Redis (shared by every replica) when REDIS_URL is set, in memory otherwise. */
  static readonly layerStore = breakerStoreLayer("payment:breaker:")

  static readonly layer = ProviderBreaker.layerNoDeps.pipe(Layer.provide(ProviderBreaker.layerStore))
  static readonly layerMemory = ProviderBreaker.layerNoDeps.pipe(Layer.provide(CircuitBreaker.layerStoreMemory()))
}
