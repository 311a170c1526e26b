import { Data } from "effect"

/** The error categories of a Stripe-like card processor. */
export type ErrorType =
  | "api_error"
  | "card_error"
  | "idempotency_error"
  | "invalid_request_error"
  | "rate_limit_error"

/** A processor error: the HTTP status and the `{ error: { ... } }` body it is sent as. */
export class ApiError extends Data.TaggedError("ApiError")<{
  readonly status: number
  readonly type: ErrorType
  readonly code: string
  readonly message: string
  readonly param?: string | undefined
  readonly declineCode?: string | undefined
}> {
  get body() {
    return {
      error: {
        type: this.type,
        code: this.code,
        message: this.message,
        ...(this.param !== undefined && { param: this.param }),
        ...(this.declineCode !== undefined && { decline_code: this.declineCode })
      }
    }
  }
}

export const invalidRequest = (message: string, options: { readonly code?: string; readonly param?: string } = {}) =>
  new ApiError({
    status: 400,
    type: "invalid_request_error",
    code: options.code ?? "parameter_invalid",
    message,
    param: options.param
  })

export const resourceMissing = (message: string, param?: string) =>
  new ApiError({ status: 404, type: "invalid_request_error", code: "resource_missing", message, param })

export const unrecognizedUrl = (method: string, url: string) =>
  new ApiError({
    status: 404,
    type: "invalid_request_error",
    code: "unrecognized_url",
    message: `Unrecognized request URL (${method}: ${url}).`
  })

export const cardDeclined = (code: string, declineCode: string, message: string) =>
  new ApiError({ status: 402, type: "card_error", code, declineCode, message })

/** An injected refusal of a refund (fault `refund_refusal_rate`): nothing was refunded, and nothing is stored. */
export const refundRefused = new ApiError({
  status: 402,
  type: "card_error",
  code: "refund_refused",
  declineCode: "refund_refused",
  message: "Injected refusal: the refund was not made."
})

export const requestInProgress = new ApiError({
  status: 409,
  type: "idempotency_error",
  code: "request_in_progress",
  message: "Another request with the same idempotency key is still being processed; retry later."
})

export const idempotencyKeyReused = new ApiError({
  status: 422,
  type: "idempotency_error",
  code: "idempotency_key_reused",
  message: "Keys for idempotent requests can only be used with the same parameters they were first used with."
})

export const simulatedFailure = (status: 500 | 503) =>
  new ApiError({
    status,
    type: "api_error",
    code: status === 500 ? "simulated_internal_error" : "simulated_service_unavailable",
    message: "Injected failure: nothing was charged."
  })

export const rateLimited = new ApiError({
  status: 429,
  type: "rate_limit_error",
  code: "rate_limit",
  message: "Too many requests hit the API too quickly."
})
