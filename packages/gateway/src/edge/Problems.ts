import {
  type DomainError,
  type FieldIssue,
  type Problem,
  ProblemContentType,
  problemType,
  toProblem,
  ValidationError
} from "@shop/domain"
import { HttpServerResponse } from "effect/http"

const titles: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  499: "Client Closed Request",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout"
}

/**
 * A problem for a bare HTTP status (`type: about:blank`), for failures that are not domain errors; a 400 is the
 * `ValidationError` problem, the one shape of every 400.
 */
export const statusProblem = (status: number, detail?: string): Problem =>
  status === 400
    ? toProblem(new ValidationError({ detail: detail ?? "the request is not valid", errors: [] }))
    : {
      type: "about:blank",
      title: titles[status] ?? (status >= 500 ? "Server Error" : "Client Error"),
      status,
      ...(detail === undefined ? {} : { detail })
    }

/** A problem as an `application/problem+json` response. */
export const problemBody = (
  problem: Problem,
  headers?: Record<string, string>
): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.jsonUnsafe(problem, {
    status: problem.status,
    contentType: ProblemContentType,
    ...(headers === undefined ? {} : { headers })
  })

/** A domain error as an `application/problem+json` response. */
export const problemResponse = (error: DomainError): HttpServerResponse.HttpServerResponse =>
  problemBody(toProblem(error))

const validationType = problemType("ValidationError")

/** `items.0.quantity` as a path: `["items", 0, "quantity"]`. */
const pathOf = (field: string): Array<string | number> =>
  field.split(".").map((segment) => /^\d+$/.test(segment) ? Number(segment) : segment)

/**
 * A 400 in the one shape: the `ValidationError` problem with `errors`. A backend's ValidationError names a `field`
 * but not where it was in the request: on a read that is the query, on a write the body.
 */
const asValidationProblem = (problem: Record<string, unknown>, method: string): Record<string, unknown> => {
  const detail = typeof problem["detail"] === "string" ? problem["detail"] : "the request is not valid"
  const field = typeof problem["field"] === "string" ? problem["field"] : undefined
  const part = method === "GET" || method === "HEAD" ? "query" : "payload"
  const errors: ReadonlyArray<FieldIssue> = Array.isArray(problem["errors"]) && problem["errors"].length > 0
    ? problem["errors"] as ReadonlyArray<FieldIssue>
    : field === undefined
    ? []
    : [{ path: [part, ...pathOf(field)], message: detail }]
  return {
    ...(problem["type"] === validationType ? problem : {}),
    type: validationType,
    title: "Validation Failed",
    status: 400,
    detail,
    ...(field === undefined ? {} : { field }),
    errors
  }
}

/** What the gateway adds to every problem it sends: the request's id and its trace. */
export interface ProblemContext {
  readonly method: string
  readonly requestId: string
  readonly traceId: string | undefined
}

/**
 * Every problem the gateway sends, whoever wrote it (a handler, a middleware, the router, a backend's error), with
 * `request_id` and `trace_id`, and every 400 in the one validation shape. Only error answers are read back, and
 * they are small.
 */
export const decorateProblem = (
  response: HttpServerResponse.HttpServerResponse,
  context: ProblemContext
): HttpServerResponse.HttpServerResponse => {
  if (response.status < 400 || response.body._tag !== "Uint8Array") return response
  if (!(response.body.contentType ?? "").startsWith(ProblemContentType)) return response
  let problem: Record<string, unknown>
  try {
    problem = JSON.parse(new TextDecoder().decode(response.body.body)) as Record<string, unknown>
  } catch {
    return response
  }
  const shaped = response.status === 400 ? asValidationProblem(problem, context.method) : problem
  const { "content-length": _length, "content-type": _type, ...headers } = response.headers
  return HttpServerResponse.jsonUnsafe({
    ...shaped,
    request_id: context.requestId,
    ...(context.traceId === undefined ? {} : { trace_id: context.traceId })
  }, { status: response.status, contentType: ProblemContentType, headers })
}
