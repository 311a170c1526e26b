/**
 * The errors of the Promise client. Every rejection of a `ShopMesh` call is a {@link ShopMeshError}; its subclasses
 * say which side went wrong: the gateway answered with a problem ({@link ProblemError}), the request broke the
 * contract before it was sent ({@link InvalidRequestError}), or the gateway could not be reached or answered
 * something outside the contract (a plain `ShopMeshError`, its `cause` attached).
 */

/** The base class of every error the Promise client rejects with. */
export class ShopMeshError extends Error {
  override readonly name: string = "ShopMeshError"
}

/** An RFC 9457 problem: the body of every 4xx and 5xx answer of the REST API. */
export interface ProblemDetails {
  /** A URI reference naming the problem type, e.g. `/problems/insufficient-stock`; `about:blank` for a bare status. */
  readonly type: string
  readonly title: string
  readonly status: number
  readonly detail?: string
  readonly instance?: string
  /** The invalid values of a request: where each one is and what is wrong with it. */
  readonly errors?: ReadonlyArray<{ readonly path: ReadonlyArray<string | number>; readonly message: string }>
  /** Extension members of the problem type, in snake_case (`product_id`, `requested`, `available`...). */
  readonly [member: string]: unknown
}

/** The gateway answered with a problem (`application/problem+json`): a 4xx or 5xx with its type and members. */
export class ProblemError extends ShopMeshError {
  override readonly name = "ProblemError"
  /** The HTTP status, e.g. 409. */
  readonly status: number
  /** The problem type URI as sent, e.g. `/problems/insufficient-stock`. */
  readonly type: string
  /** The last segment of the type (`insufficient-stock`), `about:blank` for a bare status: handy in a `switch`. */
  readonly code: string
  readonly title: string
  readonly detail: string | undefined
  /** The whole problem body, extension members included (`product_id`, `requested`, `available`, `errors`...). */
  readonly problem: ProblemDetails
  /** The request's id, from the problem's `request_id` or the `X-Request-Id` header: what support asks for. */
  readonly requestId: string | undefined
  /** Seconds to wait before trying again, from `Retry-After` (429, 503). */
  readonly retryAfter: number | undefined
  /** The answer's headers, lowercase names. */
  readonly headers: Readonly<Record<string, string>>

  constructor(problem: ProblemDetails, headers: Readonly<Record<string, string>> = {}) {
    super(problem.detail === undefined ? `${problem.status} ${problem.title}` : `${problem.title}: ${problem.detail}`)
    this.status = problem.status
    this.type = problem.type
    this.code = problem.type === "about:blank" ? problem.type : problem.type.slice(problem.type.lastIndexOf("/") + 1)
    this.title = problem.title
    this.detail = problem.detail
    this.problem = problem
    this.headers = headers
    const requestId = problem["request_id"] ?? headers["x-request-id"]
    this.requestId = typeof requestId === "string" ? requestId : undefined
    const retryAfter = Number(headers["retry-after"])
    this.retryAfter = headers["retry-after"] !== undefined && Number.isFinite(retryAfter) ? retryAfter : undefined
  }
}

/** One value of a request that breaks the contract: where it is (`["items", 0, "quantity"]`) and what is wrong. */
export interface RequestIssue {
  readonly path: ReadonlyArray<PropertyKey>
  readonly message: string
}

/**
 * The request broke the contract and was not sent: a missing member, a price with three decimals, a quantity of 0.
 * The gateway would have answered the same with a 400; `issues` names every invalid value.
 */
export class InvalidRequestError extends ShopMeshError {
  override readonly name = "InvalidRequestError"
  readonly issues: ReadonlyArray<RequestIssue>
  constructor(message: string, issues: ReadonlyArray<RequestIssue>) {
    super(message)
    this.issues = issues
  }
}
