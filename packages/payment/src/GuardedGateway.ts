import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, Duration, Effect, Exit, Layer, Metric, Option } from "effect"
import { CircuitBreaker } from "effect/persistence"
import { PaymentConfig } from "./PaymentConfig.ts"
import {
  type ChargePage,
  type ChargeRequest,
  type ChargeWindow,
  PaymentGateway,
  type ProviderCharge,
  type ProviderRefund,
  type RefundRequest
} from "./PaymentGateway.ts"
import { providerRequestSeconds, providerRetriesTotal } from "./PaymentMetrics.ts"
import { ProviderBreaker } from "./ProviderBreaker.ts"
import { type ProviderError, ProviderRetryable, ProviderUnavailable } from "./ProviderError.ts"
import { isRetryable, retrySchedule } from "./RetryPolicy.ts"

export type GuardedError = ProviderError | ProviderUnavailable

/**
 * The card processor behind the resilience stack of architecture.md, innermost first: a timeout per attempt, retries
 * with backoff and full jitter for retryable failures only, then the circuit breaker, which sees one outcome per
 * call. A decline, a permanent 4xx or "not found" prove the processor is up, so they count as breaker successes.
 */
export class GuardedGateway extends Context.Service<GuardedGateway, {
  readonly charge: (request: ChargeRequest) => Effect.Effect<ProviderCharge, GuardedError>
  readonly refund: (request: RefundRequest) => Effect.Effect<ProviderRefund, GuardedError>
  readonly lookupByIdempotencyKey: (key: string) => Effect.Effect<Option.Option<ProviderCharge>, GuardedError>
  readonly getCharge: (id: string) => Effect.Effect<Option.Option<ProviderCharge>, GuardedError>
  readonly listCharges: (window: ChargeWindow) => Effect.Effect<ChargePage, GuardedError>
}>()("payment/GuardedGateway") {
  static readonly layerNoDeps = Layer.effect(
    GuardedGateway,
    Effect.gen(function*() {
      const config = yield* PaymentConfig
      const gateway = yield* PaymentGateway
      const { breaker, key } = yield* ProviderBreaker
      const schedule = retrySchedule({ base: config.retryBase, cap: config.retryMaxDelay })

      const guard = <A>(operation: string, call: Effect.Effect<A, ProviderError>) => {
        const latency = Metric.withAttributes(providerRequestSeconds, { operation })
        let attempts = 0
        const attempt = Effect.suspend(() => {
          attempts++
          return attempts > 1 ? Effect.andThen(Metric.update(providerRetriesTotal, 1), call) : call
        }).pipe(
          Effect.timeoutOrElse({
            duration: config.attemptTimeout,
            orElse: () =>
              Effect.fail(
                new ProviderRetryable({
                  kind: "timeout",
                  detail: `no answer within ${Duration.format(config.attemptTimeout)}`
                })
              )
          }),
          Effect.exit,
          Effect.timed,
          Effect.flatMap(([elapsed, exit]) => Effect.andThen(Metric.update(latency, Duration.toSeconds(elapsed)), exit))
        )
        const retried = attempt.pipe(
          Effect.retry({ schedule, times: config.maxRetries, while: isRetryable })
        )
        return Effect.suspend(() => {
          attempts = 0
          return retried
        }).pipe(
          breaker.execute({ key, classify: classifyExit }),
          Effect.catchTag(
            "CircuitBreakerError",
            (error) =>
              Effect.fail(new ProviderUnavailable({ detail: `circuit ${error.reason._tag}: ${error.message}` }))
          )
        )
      }

      return GuardedGateway.of({
        charge: traced("GuardedGateway.charge")((request: ChargeRequest) => guard("charge", gateway.charge(request))),
        refund: traced("GuardedGateway.refund")((request: RefundRequest) => guard("refund", gateway.refund(request))),
        lookupByIdempotencyKey: traced("GuardedGateway.lookupByIdempotencyKey")((idempotencyKey: string) =>
          guard("lookup", gateway.lookupByIdempotencyKey(idempotencyKey))
        ),
        getCharge: traced("GuardedGateway.getCharge")((id: string) => guard("lookup", gateway.getCharge(id))),
        listCharges: traced("GuardedGateway.listCharges")((window: ChargeWindow) =>
          guard("list", gateway.listCharges(window))
        )
      })
    })
  )

  static readonly layer = GuardedGateway.layerNoDeps.pipe(
    Layer.provide([PaymentGateway.layer, ProviderBreaker.layer])
  )
}

/** Only retryable failures that outlived their retries count against the processor. */
const classifyExit = <A>(exit: Exit.Exit<A, ProviderError>): CircuitBreaker.Outcome => {
  if (Exit.isSuccess(exit)) return CircuitBreaker.success
  const error = exit.cause.reasons.find((reason) => reason._tag === "Fail")
  if (error === undefined) return CircuitBreaker.failure()
  if (error.error._tag !== "ProviderRetryable") return CircuitBreaker.success
  return CircuitBreaker.failure({ retryAfter: error.error.retryAfter })
}
