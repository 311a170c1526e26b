import { IdempotencyKey, ValidationError } from "@shop/domain"
import { Effect, Option, Schema } from "effect"
import { HttpServerRequest } from "effect/http"

/** The request header that carries an idempotency key (draft-ietf-httpapi-idempotency-key-header). */
export const IdempotencyKeyHeader = "Idempotency-Key"

const decodeKey = Schema.decodeUnknownOption(IdempotencyKey)

/**
 * The idempotency key of a create: the `Idempotency-Key` header or the body's `idempotency_key`. One of them is
 * required; when both are sent they must be the same key, else the request is ambiguous and refused (400).
 */
export const idempotencyKeyOf = (fromBody: IdempotencyKey | undefined) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const header = request.headers[IdempotencyKeyHeader.toLowerCase()]
    if (header === undefined) {
      if (fromBody !== undefined) return fromBody
      return yield* new ValidationError({
        field: "idempotency_key",
        detail: `an idempotency key is required: the ${IdempotencyKeyHeader} header or the idempotency_key member`
      })
    }
    const key = decodeKey(header)
    if (Option.isNone(key)) {
      return yield* new ValidationError({
        field: IdempotencyKeyHeader,
        detail: "expected 1 to 255 characters among A-Z a-z 0-9 _ . : -"
      })
    }
    if (fromBody !== undefined && fromBody !== key.value) {
      return yield* new ValidationError({
        field: IdempotencyKeyHeader,
        detail: `the ${IdempotencyKeyHeader} header and the idempotency_key member name different keys`
      })
    }
    return key.value
  })
