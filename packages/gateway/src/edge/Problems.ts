import { type DomainError, type Problem, ProblemContentType, toProblem } from "@shop/domain"
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

/** A problem for a bare HTTP status (`type: about:blank`), for failures that are not domain errors. */
export const statusProblem = (status: number, detail?: string): Problem => ({
  type: "about:blank",
  title: titles[status] ?? (status >= 500 ? "Server Error" : "Client Error"),
  status,
  ...(detail === undefined ? {} : { detail })
})

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
