import { Schema, SchemaTransformation } from "effect"
import { HttpApiSchema } from "effect/http-api"
import {
  Conflict,
  DeadlineExceeded,
  type DomainError,
  FieldIssue,
  Forbidden,
  IdempotencyKeyReused,
  InsufficientStock,
  InternalError,
  NotFound,
  PaymentDeclined,
  RateLimited,
  RequestInProgress,
  ServiceUnavailable,
  Unauthorized,
  ValidationError
} from "./Errors.ts"

/**
 * RFC 9457 problem details: the body of every 4xx and 5xx response of the REST API, sent as
 * `application/problem+json`. A domain error becomes a problem whose `type` names the error (`/problems/not-found`)
 * and whose extension members are the error's fields in snake_case, so
 * `new InsufficientStock({ productId: "prod_1", requested: 3, available: 1 })` travels as
 * `{ "type": "/problems/insufficient-stock", "title": "Insufficient Stock", "status": 409,
 * "detail": "product prod_1: requested 3, available 1", "product_id": "prod_1", "requested": 3, "available": 1 }`
 * and the typed client decodes it back into an `InsufficientStock`.
 *
 * Every 400 has one shape, whatever found the request invalid (the contract's schemas, a handler, a backend, the
 * HTTP edge): the `ValidationError` problem,
 * `{ "type": ".../validation-error", "title": "Validation Failed", "status": 400, "detail": "...", "field":
 * "items.0.quantity", "errors": [{ "path": ["payload", "items", 0, "quantity"], "message": "..." }] }`
 * (see `RequestValidation`).
 *
 * The gateway adds `request_id` (also its `X-Request-Id` header) and `trace_id` to every problem it sends, so that
 * support can find the request's logs and trace.
 */

/** The media type of problem bodies. */
export const ProblemContentType = "application/problem+json"

/**
 * The prefix of the `type` URI of every problem the platform defines. The URI is relative (RFC 9457 allows a URI
 * reference): resolved against the answer's URL it names the gateway's own page about that problem type
 * (`GET /problems/not-found`, see `ProblemCatalog.ts`), so it resolves on every deployment and stays the same
 * identifier everywhere.
 */
export const ProblemTypeBase = "/problems/"

/** One invalid value of a request: where it is (`["payload", "items", 0, "quantity"]`) and what is wrong. */
export const ProblemIssue = FieldIssue
export type ProblemIssue = FieldIssue

/**
 * Any problem details object: the standard members, `errors` for validation details, and any extension member
 * (kept as is).
 */
export const Problem = Schema.StructWithRest(
  Schema.Struct({
    type: Schema.String,
    title: Schema.String,
    status: Schema.Int.check(Schema.isBetween({ minimum: 400, maximum: 599 })),
    detail: Schema.optionalKey(Schema.String),
    instance: Schema.optionalKey(Schema.String),
    errors: Schema.optionalKey(Schema.Array(ProblemIssue)),
    request_id: Schema.optionalKey(Schema.String),
    trace_id: Schema.optionalKey(Schema.String)
  }),
  [Schema.Record(Schema.String, Schema.Unknown)]
).annotate({ identifier: "Problem", description: "RFC 9457 problem details" })
export type Problem = typeof Problem.Type

const kebab = (tag: string) => tag.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase()
const snakeCase = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase()

/** The `type` URI of the problem for an error tag: `NotFound` -> `/problems/not-found`. */
export const problemType = (tag: string): string => ProblemTypeBase + kebab(tag)

type ErrorClass = Schema.Top & {
  readonly identifier: string
  readonly fields: Schema.Struct.Fields
  new(props: any): { readonly message: string }
}

/**
 * Renders a `Schema.TaggedError` class as a problem: the server encodes an instance as an
 * `application/problem+json` body with the class's `httpApiStatus`, and clients decode a body with the same `type`
 * back into an instance. `detail` is the error's `detail` field when it has one, else its `message`.
 */
export const asProblem = <E extends ErrorClass>(
  error: E,
  options: { readonly title: string; readonly status: number }
) => {
  const { _tag, ...fields } = error.fields
  // Extension members are snake_case, like the rest of the API: `productId` travels as `product_id`
  const names = Object.keys(fields).map((name) => [name, snakeCase(name)] as const)
  const ownDetail = "detail" in fields
  const type = problemType(error.identifier)
  const body = Schema.Struct({
    type: Schema.Literal(type),
    title: Schema.String,
    status: Schema.Literal(options.status),
    detail: Schema.optionalKey(Schema.String),
    instance: Schema.optionalKey(Schema.String),
    /** The gateway's id of the request (its `X-Request-Id`). */
    request_id: Schema.optionalKey(Schema.String),
    /** The request's trace, as in the logs and the tracing backend. */
    trace_id: Schema.optionalKey(Schema.String),
    ...Object.fromEntries(names.map(([name, member]) => [member, fields[name]!]))
  }).annotate({ identifier: `${error.identifier}Problem`, description: options.title })
  const rename = (value: Record<string, unknown>, from: 0 | 1) => {
    const out: Record<string, unknown> = {}
    for (const pair of names) {
      const member = value[pair[from]]
      if (member !== undefined) out[pair[1 - from]!] = member
    }
    return out
  }
  return body.pipe(
    Schema.decodeTo(
      Schema.toType(error),
      SchemaTransformation.transform<E["Type"], typeof body.Type>({
        decode: (problem) => new error(rename(problem, 1)),
        encode: (value) => ({
          ...rename(value as Record<string, unknown>, 0),
          type,
          title: options.title,
          status: options.status,
          detail: ownDetail ? (value as { readonly detail: string }).detail : (value as Error).message
        })
      })
    ),
    HttpApiSchema.status(options.status),
    HttpApiSchema.asJson({ contentType: ProblemContentType })
  )
}

/** `NotFound` as a problem (404). */
export const NotFoundProblem = asProblem(NotFound, { title: "Not Found", status: 404 })
/** `ValidationError` as a problem (400). */
export const ValidationProblem = asProblem(ValidationError, { title: "Validation Failed", status: 400 })
/** `Conflict` as a problem (409). */
export const ConflictProblem = asProblem(Conflict, { title: "Conflict", status: 409 })
/** `InsufficientStock` as a problem (409). */
export const InsufficientStockProblem = asProblem(InsufficientStock, { title: "Insufficient Stock", status: 409 })
/** `PaymentDeclined` as a problem (402). */
export const PaymentDeclinedProblem = asProblem(PaymentDeclined, { title: "Payment Declined", status: 402 })
/** `IdempotencyKeyReused` as a problem (422). */
export const IdempotencyKeyReusedProblem = asProblem(IdempotencyKeyReused, {
  title: "Idempotency Key Reused",
  status: 422
})
/** `RequestInProgress` as a problem (409). */
export const RequestInProgressProblem = asProblem(RequestInProgress, { title: "Request In Progress", status: 409 })
/** `ServiceUnavailable` as a problem (503). */
export const ServiceUnavailableProblem = asProblem(ServiceUnavailable, { title: "Service Unavailable", status: 503 })
/** `DeadlineExceeded` as a problem (504). */
export const DeadlineExceededProblem = asProblem(DeadlineExceeded, { title: "Deadline Exceeded", status: 504 })
/** `Unauthorized` as a problem (401). */
export const UnauthorizedProblem = asProblem(Unauthorized, { title: "Unauthorized", status: 401 })
/** `Forbidden` as a problem (403). */
export const ForbiddenProblem = asProblem(Forbidden, { title: "Forbidden", status: 403 })
/** `RateLimited` as a problem (429). */
export const RateLimitedProblem = asProblem(RateLimited, { title: "Too Many Requests", status: 429 })
/** `InternalError` as a problem (500). */
export const InternalErrorProblem = asProblem(InternalError, { title: "Internal Server Error", status: 500 })

/** The problem schema of every domain error, by tag. */
export const DomainProblems = {
  NotFound: NotFoundProblem,
  ValidationError: ValidationProblem,
  Conflict: ConflictProblem,
  InsufficientStock: InsufficientStockProblem,
  PaymentDeclined: PaymentDeclinedProblem,
  IdempotencyKeyReused: IdempotencyKeyReusedProblem,
  RequestInProgress: RequestInProgressProblem,
  ServiceUnavailable: ServiceUnavailableProblem,
  DeadlineExceeded: DeadlineExceededProblem,
  Unauthorized: UnauthorizedProblem,
  Forbidden: ForbiddenProblem,
  InternalError: InternalErrorProblem
} as const

/**
 * Renders any domain error as a problem body, for responses the contract does not declare (an error that escaped
 * its endpoint, a gRPC failure mapped by the gateway). `instance` may name the request, e.g. its path or trace id.
 */
export const toProblem = (error: DomainError, instance?: string): Problem => {
  const { _tag: tag } = error
  const encoded = Schema.encodeSync(DomainProblems[tag] as unknown as Schema.Codec<DomainError, Problem>)(error)
  return instance === undefined ? encoded : { ...encoded, instance }
}
