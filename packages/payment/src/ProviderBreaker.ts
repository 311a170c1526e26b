import { NodeRedis } from "@effect/platform-node"
import { RedisUrl } from "@shop/service-defaults/Redis"
import { Context, Duration, Effect, Layer, Metric, Stream } from "effect"
import { CircuitBreaker } from "effect/persistence"
import { PaymentConfig } from "./PaymentConfig.ts"
import { breakerStateValue, circuitBreakerState } from "./PaymentMetrics.ts"

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
      const gauge = Metric.withAttributes(circuitBreakerState, { dependency: providerDependency })
      const initial = yield* breaker.state(providerDependency).pipe(
        Effect.map((state) => state._tag),
        Effect.orElseSucceed(() => "Closed" as const)
      )
      yield* Metric.update(gauge, breakerStateValue[initial])
      yield* breaker.transitions.pipe(
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
      return ProviderBreaker.of({ breaker, key: providerDependency })
    })
  )

  /** Redis (shared by every replica) when REDIS_URL is set, in memory otherwise. */
  static readonly layerStore = Layer.unwrap(Effect.gen(function*() {
    const url = yield* RedisUrl
    return url._tag === "Some"
      ? CircuitBreaker.layerStoreRedis({ prefix: "shop:payment:breaker:" }).pipe(
        Layer.provide(NodeRedis.layer({ url: url.value, socket: { connectTimeout: 2_000 } }))
      )
      : CircuitBreaker.layerStoreMemory()
  }))

  static readonly layer = ProviderBreaker.layerNoDeps.pipe(Layer.provide(ProviderBreaker.layerStore))
  static readonly layerMemory = ProviderBreaker.layerNoDeps.pipe(Layer.provide(CircuitBreaker.layerStoreMemory()))
}
