import * as Backoff from "@shop/service-defaults/resilience/Backoff"
import { Duration, Effect, Schedule } from "effect"
import type { ProviderError } from "./ProviderError.ts"

/** Only timeouts, lost connections, 5xx, 429 and "in progress" are worth another attempt; declines never. */
export const isRetryable = (error: ProviderError): boolean => error._tag === "ProviderRetryable"

/** The longest wait before retry n (1-based): min(cap, base * 2^(n-1)); the actual wait is uniform below it. */
export const backoffCeiling = (base: Duration.Duration, cap: Duration.Duration, retry: number): Duration.Duration =>
  Backoff.ceiling({ base, cap }, retry)

/**
 * The platform's backoff with full jitter (a uniform wait in [0, ceiling]), which spreads the retries of many
 * callers hit by the same outage. A 429's Retry-After is a floor: the processor said when to come back.
 */
export const retrySchedule = (options: {
  readonly base: Duration.Duration
  readonly cap: Duration.Duration
}): Schedule.Schedule<Duration.Duration, ProviderError> =>
  Backoff.schedule({ ...options, jitter: "full" }).pipe(
    Schedule.setInputType<ProviderError>(),
    Schedule.modifyDelay(({ duration, input }) => {
      const retryAfter = input._tag === "ProviderRetryable" ? input.retryAfter : undefined
      return Effect.succeed(retryAfter === undefined ? duration : Duration.max(duration, retryAfter))
    })
  )
