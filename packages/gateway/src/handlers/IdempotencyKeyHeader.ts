import { type FieldIssue, IdempotencyKey, ValidationError } from "@shop/domain"
import { Effect, Option, Schema } from "effect"
import { HttpServerRequest } from "effect/http"

/** The request header that carries an idempotency key (draft-ietf-httpapi-idempotency-key-header). */
export const IdempotencyKeyHeader = "Idempotency-Key"

const decodeKey = Schema.decodeUnknownOption(IdempotencyKey)

const headerError = (detail: string, more: ReadonlyArray<FieldIssue> = []) =>
  new ValidationError({
    field: IdempotencyKeyHeader,
    detail,
    errors: [{ path: ["headers", IdempotencyKeyHeader], message: detail }, ...more]
  })

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
      const detail = `an idempotency key is required: the ${IdempotencyKeyHeader} header or the idempotency_key member`
      return yield* new ValidationError({
        field: "idempotency_key",
        detail,
        errors: [{ path: ["payload", "idempotency_key"], message: detail }]
      })
    }
    const key = decodeKey(header)
    if (Option.isNone(key)) return yield* headerError("expected 1 to 255 characters among A-Z a-z 0-9 _ . : -")
    if (fromBody !== undefined && fromBody !== key.value) {
      return yield* headerError(
        `the ${IdempotencyKeyHeader} header and the idempotency_key member name different keys`,
        [{ path: ["payload", "idempotency_key"], message: "differs from the Idempotency-Key header" }]
      )
    }
    return key.value
  })
