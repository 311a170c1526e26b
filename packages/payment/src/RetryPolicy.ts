import { Duration, Effect, Random, Schedule } from "effect"
import type { ProviderError } from "./ProviderError.ts"

/** Only timeouts, lost connections, 5xx, 429 and "in progress" are worth another attempt; declines never. */
export const isRetryable = (error: ProviderError): boolean => error._tag === "ProviderRetryable"

/** The longest wait before retry n (1-based): min(cap, base * 2^(n-1)); the actual wait is uniform below it. */
export const backoffCeiling = (base: Duration.Duration, cap: Duration.Duration, retry: number): Duration.Duration =>
  Duration.min(Duration.millis(Duration.toMillis(base) * Math.pow(2, retry - 1)), cap)

/**
 * Exponential backoff with full jitter (a uniform wait in [0, ceiling]), which spreads the retries of many
 * callers hit by the same outage. A 429's Retry-After is a floor: the processor said when to come back.
 */
export const retrySchedule = (options: {
  readonly base: Duration.Duration
  readonly cap: Duration.Duration
}): Schedule.Schedule<Duration.Duration, ProviderError> =>
  Schedule.exponential(options.base).pipe(
    Schedule.setInputType<ProviderError>(),
    Schedule.modifyDelay(({ attempt, input }) =>
      Effect.map(Random.next, (random) => {
        const ceiling = Duration.toMillis(backoffCeiling(options.base, options.cap, attempt))
        const jittered = Duration.millis(Math.floor(random * ceiling))
        const retryAfter = input._tag === "ProviderRetryable" ? input.retryAfter : undefined
        return retryAfter === undefined ? jittered : Duration.max(jittered, retryAfter)
      })
    )
  )
