import { type Schema, SchemaAST } from "effect"
import { UnhealthyProblem } from "./api/HealthApi.ts"
import type { DomainError } from "./Errors.ts"
import { DomainProblems, RateLimitedProblem } from "./Problem.ts"

/**
 * What a client developer needs to know about each problem type of the REST API: the page the gateway serves at the
 * type's URI (`GET /problems/insufficient-stock`) and the OpenAPI document link to. The type, title, status and
 * extension members are read from the problem schemas themselves (`Problem.ts`), so this page cannot drift from what
 * the gateway sends; only the prose is written here.
 */
export interface ProblemTypeDocumentation {
  /** The last segment of the type URI: `insufficient-stock`. */
  readonly slug: string
  /** The type URI as sent: `/problems/insufficient-stock`. */
  readonly type: string
  readonly title: string
  readonly status: number
  /** When the gateway answers with it. */
  readonly when: string
  /** What a client does about it. */
  readonly remedy: string
  /** The problem's members beyond `type`, `title`, `status`, `detail` and `instance`, in snake_case. */
  readonly members: ReadonlyArray<{ readonly name: string; readonly optional: boolean }>
}

const standardMembers = new Set(["type", "title", "status", "detail", "instance"])

const literalOf = (property: SchemaAST.PropertySignature | undefined) =>
  property !== undefined && SchemaAST.isLiteral(property.type) ? property.type.literal : undefined

const describe = (schema: Schema.Top, when: string, remedy: string): ProblemTypeDocumentation => {
  const ast = SchemaAST.toEncoded(schema.ast)
  if (!SchemaAST.isObjects(ast)) throw new Error("a problem schema encodes to an object")
  const property = (name: string) => ast.propertySignatures.find((signature) => signature.name === name)
  const type = String(literalOf(property("type")))
  return {
    slug: type.slice(type.lastIndexOf("/") + 1),
    type,
    title: String(ast.annotations?.description),
    status: Number(literalOf(property("status"))),
    when,
    remedy,
    members: ast.propertySignatures
      .filter((signature) => !standardMembers.has(String(signature.name)))
      .map((signature) => ({ name: String(signature.name), optional: signature.type.context?.isOptional === true }))
  }
}

const prose: Record<DomainError["_tag"], readonly [when: string, remedy: string]> = {
  NotFound: [
    "The entity named by `entity` and `id` does not exist, or belongs to another user (an order of someone else " +
    "is answered exactly like a missing one).",
    "Check the id. Do not retry: the answer will not change."
  ],
  ValidationError: [
    "The request is well-formed but breaks a rule of the domain: an order total above what one payment can " +
    "charge, a patch that leaves no member to change. `field` names the offending member when there is one.",
    "Fix the request as `detail` says. Do not retry it unchanged."
  ],
  Conflict: [
    "The write collides with the current state: a SKU that another product already has, inventory set below the " +
    "units reserved by open orders.",
    "Read the current state, then decide. Retrying unchanged gives the same answer."
  ],
  InsufficientStock: [
    "Not enough available units of `product_id` to reserve `requested`; `available` is what is left.",
    "Order at most `available` units, or later."
  ],
  PaymentDeclined: [
    "The card processor refused the charge; `reason` says why (declined, insufficient funds). An order whose " +
    "payment is declined becomes `failed` rather than answering this problem.",
    "Use another payment method. A declined charge is never retried by the platform."
  ],
  IdempotencyKeyReused: [
    "The `key` was already used for a request with a different body.",
    "Use a new key for a new request; send the same body to get the first answer again."
  ],
  RequestInProgress: [
    "A request with the same idempotency `key` is still being processed.",
    "Retry after a moment with the same key and body: the first request's answer comes back."
  ],
  ServiceUnavailable: [
    "A service behind the gateway (`service`) is down, overloaded or behind an open circuit breaker. The answer " +
    "comes at once rather than after a timeout.",
    "Retry later with backoff, after `Retry-After` seconds when the answer has that header. Writes are safe to " +
    "retry with the same idempotency key."
  ],
  DeadlineExceeded: [
    "The service `service` did not answer within the gateway's deadline for this route; the request may or may " +
    "not have taken effect.",
    "Retry with backoff; retry an order with the same idempotency key, which makes the retry safe."
  ],
  Unauthorized: [
    "The bearer token is missing, malformed, expired, not yet valid, signed with another key, or for another " +
    "issuer or audience.",
    "Get a fresh token and send it as `Authorization: Bearer <token>`."
  ],
  Forbidden: [
    "The token is valid but lacks the role the operation needs (catalog writes need `admin`), or the body names " +
    "another user than the caller.",
    "Call with a token that has the role, or for the caller's own user."
  ],
  InternalError: [
    "A failure the caller cannot act on; its details are in the logs of the service that had it, under the " +
    "request's trace id.",
    "Retry later; report it with the request's id if it persists."
  ]
}

/** Every problem type the REST API sends, in the order of the status codes. */
export const ProblemTypes: ReadonlyArray<ProblemTypeDocumentation> = [
  ...Object.entries(DomainProblems).map(([tag, schema]) => describe(schema, ...prose[tag as DomainError["_tag"]])),
  describe(
    RateLimitedProblem,
    "The caller (its token's `sub`, else its address) spent its request budget for this route class. " +
      "`retry_after_seconds` and the `Retry-After` header say when the next request may succeed; the `RateLimit` " +
      "and `RateLimit-Policy` headers of every answer show the budget as it goes.",
    "Wait `Retry-After` seconds, then go on at most at the policy's rate."
  ),
  describe(
    UnhealthyProblem,
    "`GET /healthz` when a backend the platform cannot work without is down; the gateway's admin port says which.",
    "Route traffic elsewhere; probes retry on their own schedule."
  )
].toSorted((a, b) => a.status - b.status || a.slug.localeCompare(b.slug))

/** The documentation of a problem type by the last segment of its URI, `undefined` for an unknown one. */
export const findProblemType = (slug: string): ProblemTypeDocumentation | undefined =>
  ProblemTypes.find((problem) => problem.slug === slug)
