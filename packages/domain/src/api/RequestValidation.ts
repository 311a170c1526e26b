import { Effect, SchemaIssue } from "effect"
import type { HttpApiError } from "effect/http-api"
import { HttpApiMiddleware } from "effect/http-api"
import { type FieldIssue, InternalError, ValidationError } from "../Errors.ts"
import { InternalErrorProblem, ValidationProblem } from "../Problem.ts"

/**
 * Request validation of every endpoint: a request that fails the contract's schemas (a member of the body, a query
 * parameter, a path parameter) is answered as a `ValidationError` problem (400), the same shape as every other 400,
 * naming the first offending `field` and listing every issue in `errors`, each path starting with the part of the
 * request it is in (`payload`, `query`, `params`, `headers`). An answer that fails the contract's own response
 * schema is the server's bug: a 500 without details (they are logged).
 */
export class RequestValidation extends HttpApiMiddleware.Service<RequestValidation>()("domain/RequestValidation", {
  error: [ValidationProblem, InternalErrorProblem]
}) {}

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

const segment = (part: PropertyKey | { readonly key: PropertyKey }): string | number => {
  const key = typeof part === "object" ? part.key : part
  return typeof key === "number" ? key : String(key)
}

/** Every issue of a failed request decoding, its path prefixed with the part of the request (`payload`, `query`). */
export const requestIssues = (error: HttpApiError.HttpApiSchemaError): ReadonlyArray<FieldIssue> => {
  const part = error.kind.toLowerCase()
  return formatIssues(error.cause.issue).issues.map((issue) => ({
    path: [part, ...(issue.path ?? []).map(segment)],
    message: issue.message
  }))
}

/** A failed request decoding as the `ValidationError` of every 400. */
export const toRequestValidationError = (error: HttpApiError.HttpApiSchemaError): ValidationError => {
  const errors = requestIssues(error)
  const first = errors[0]
  const field = first === undefined || first.path.length < 2 ? undefined : first.path.slice(1).join(".")
  return new ValidationError({
    detail: first?.message ?? "the request is not valid",
    ...(field === undefined ? {} : { field }),
    errors
  })
}

/** The server side of {@link RequestValidation}. */
export const RequestValidationLive = HttpApiMiddleware.layerSchemaErrorTransform(
  RequestValidation,
  (error) =>
    error.kind === "Body" || error.kind === "ResponseHeaders"
      ? Effect.andThen(
        Effect.logError("an answer does not match the contract", error.cause),
        Effect.fail(new InternalError({ detail: "internal error" }))
      )
      : Effect.fail(toRequestValidationError(error))
)
