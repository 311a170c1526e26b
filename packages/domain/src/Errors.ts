import { Schema } from "effect"

/**
 * The platform's error vocabulary. Every error here can cross a process boundary unchanged: REST (problem+json via
 * `httpApiStatus`), gRPC (status code + the encoded error in trailing metadata) and events.
 */

/** An entity that does not exist, or that the caller may not see (object-level authorization answers the same). */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  entity: Schema.String,
  id: Schema.String
}, { httpApiStatus: 404 }) {
  override get message() {
    return `${this.entity} ${this.id} was not found`
  }
}

/**
 * One invalid value of a request: where it is, starting with the part of the request (`["payload", "items", 0,
 * "quantity"]`, `["query", "cursor"]`, `["headers", "Idempotency-Key"]`), and what is wrong.
 */
export const FieldIssue = Schema.Struct({
  path: Schema.Array(Schema.Union([Schema.String, Schema.Number])),
  message: Schema.String
}).annotate({ identifier: "ProblemIssue" })
export type FieldIssue = typeof FieldIssue.Type

/**
 * Input that breaks a rule of the domain; `field` names the (first) offending field when there is one, as the client
 * spells it (`items.0.quantity`, `cursor`), and `errors` lists every invalid value with its full path when known.
 */
export class ValidationError extends Schema.TaggedError<ValidationError>()("ValidationError", {
  detail: Schema.String,
  field: Schema.optional(Schema.String),
  errors: Schema.optional(Schema.Array(FieldIssue))
}, { httpApiStatus: 400 }) {
  override get message() {
    return this.field === undefined ? this.detail : `${this.field}: ${this.detail}`
  }
}

/** A write that collides with existing state, such as a duplicate SKU. */
export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", {
  detail: Schema.String
}, { httpApiStatus: 409 }) {
  override get message() {
    return this.detail
  }
}

/** Not enough available stock to reserve the requested quantity. */
export class InsufficientStock extends Schema.TaggedError<InsufficientStock>()("InsufficientStock", {
  productId: Schema.String,
  requested: Schema.Int,
  available: Schema.Int
}, { httpApiStatus: 409 }) {
  override get message() {
    return `product ${this.productId}: requested ${this.requested}, available ${this.available}`
  }
}

/** The card processor refused the charge; never retried. */
export class PaymentDeclined extends Schema.TaggedError<PaymentDeclined>()("PaymentDeclined", {
  reason: Schema.String
}, { httpApiStatus: 402 }) {
  override get message() {
    return `payment declined: ${this.reason}`
  }
}

/** The same idempotency key was reused with a different request body. */
export class IdempotencyKeyReused extends Schema.TaggedError<IdempotencyKeyReused>()("IdempotencyKeyReused", {
  key: Schema.String
}, { httpApiStatus: 422 }) {
  override get message() {
    return `idempotency key ${this.key} was already used with a different request`
  }
}

/** A request with the same idempotency key is still being processed. */
export class RequestInProgress extends Schema.TaggedError<RequestInProgress>()("RequestInProgress", {
  key: Schema.String
}, { httpApiStatus: 409 }) {
  override get message() {
    return `a request with idempotency key ${this.key} is still in progress`
  }
}

/** A dependency could not be reached or refused to serve (down, overloaded, circuit open). */
export class ServiceUnavailable extends Schema.TaggedError<ServiceUnavailable>()("ServiceUnavailable", {
  service: Schema.String,
  detail: Schema.String
}, { httpApiStatus: 503 }) {
  override get message() {
    return `${this.service} is unavailable: ${this.detail}`
  }
}

/** A dependency did not answer within the caller's deadline. */
export class DeadlineExceeded extends Schema.TaggedError<DeadlineExceeded>()("DeadlineExceeded", {
  service: Schema.String
}, { httpApiStatus: 504 }) {
  override get message() {
    return `${this.service} did not answer in time`
  }
}

/** Missing or invalid credentials. */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", {
  detail: Schema.String
}, { httpApiStatus: 401 }) {
  override get message() {
    return this.detail
  }
}

/** Valid credentials without the role the operation needs. */
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", {
  detail: Schema.String
}, { httpApiStatus: 403 }) {
  override get message() {
    return this.detail
  }
}

/** A failure the caller cannot act on; its details stay in the logs of the service that had it. */
export class InternalError extends Schema.TaggedError<InternalError>()("InternalError", {
  detail: Schema.String
}, { httpApiStatus: 500 }) {
  override get message() {
    return this.detail
  }
}

/**
 * The caller sent more requests than its rate limit allows. Raised only by the gateway, so it is not a
 * {@link DomainError}; `retryAfterSeconds` tells when the next request may succeed.
 */
export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", {
  detail: Schema.String,
  retryAfterSeconds: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)))
}, { httpApiStatus: 429 }) {
  override get message() {
    return this.detail
  }
}

/** Every error that may cross a service boundary. */
export const DomainError = Schema.Union([
  NotFound,
  ValidationError,
  Conflict,
  InsufficientStock,
  PaymentDeclined,
  IdempotencyKeyReused,
  RequestInProgress,
  ServiceUnavailable,
  DeadlineExceeded,
  Unauthorized,
  Forbidden,
  InternalError
])
export type DomainError = typeof DomainError.Type
