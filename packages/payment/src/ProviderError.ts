import { Data, type Duration } from "effect"

/** The processor refused the card (HTTP 402 card_error). Never retried, and a success for the circuit breaker. */
export class ProviderDeclined extends Data.TaggedError("ProviderDeclined")<{
  readonly code: string
  readonly message: string
}> {}

/**
 * The attempt may succeed if repeated: a timeout, a connection error (refused, reset, hang-up), a 5xx, a 429 or a
 * 409 request_in_progress. After a timeout or a lost connection the charge may have happened (`maybeProcessed`).
 */
export class ProviderRetryable extends Data.TaggedError("ProviderRetryable")<{
  readonly kind: "timeout" | "connection" | "server_error" | "rate_limited" | "in_progress"
  readonly status?: number | undefined
  /** The processor's Retry-After, honoured by the retry schedule. */
  readonly retryAfter?: Duration.Duration | undefined
  readonly detail: string
}> {}

/** Any other 4xx: the request itself is wrong, so repeating it cannot help. */
export class ProviderPermanent extends Data.TaggedError("ProviderPermanent")<{
  readonly status: number
  readonly code: string
  readonly message: string
}> {}

/** The circuit breaker rejected the call: nothing was sent to the processor. */
export class ProviderUnavailable extends Data.TaggedError("ProviderUnavailable")<{
  readonly detail: string
}> {}

export type ProviderError = ProviderDeclined | ProviderRetryable | ProviderPermanent
