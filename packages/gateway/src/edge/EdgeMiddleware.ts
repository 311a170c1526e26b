import { NotImplemented } from "@shop/service-defaults/grpc/PeerDefects"
import { type Cause, Effect, Metric, Option, Tracer, type Types } from "effect"
import {
  HttpEffect,
  HttpIncomingMessage,
  HttpRouter,
  HttpServerError,
  HttpServerRequest,
  HttpServerResponse
} from "effect/http"
import { GatewayConfig } from "../GatewayConfig.ts"
import { allowedMethods } from "./AllowedMethods.ts"
import { corsHeaders, preflightAnswer } from "./Cors.ts"
import { HotReads } from "./HotReads.ts"
import { requestSeries, staticRoutes } from "./HttpMetrics.ts"
import { nextPathOf } from "./NextLink.ts"
import { decorateProblem, problemBody, statusProblem } from "./Problems.ts"
import { RequestIdHeader, requestIdOf } from "./RequestId.ts"
import { type RequestFacts, RequestRoute } from "./RequestRoute.ts"
import { securityHeaders } from "./SecurityHeaders.ts"

const pathOf = (url: string) => {
  const end = url.search(/[?#]/)
  return end === -1 ? url : url.slice(0, end)
}

/** The text of a short plain-text error body (the framework's "Unsupported content-type: ..."), as a detail. */
const plainTextDetail = (body: HttpServerResponse.HttpServerResponse["body"]) =>
  body._tag === "Uint8Array" && body.contentType.startsWith("text/") && body.body.length <= 300
    ? new TextDecoder().decode(body.body)
    : undefined

/**
 * Every 4xx and 5xx leaves as problem+json, including the bodiless ones of the router and the server and the
 * plain-text ones of the framework (415 on an unsupported content type).
 */
const withProblemBody = (response: HttpServerResponse.HttpServerResponse) => {
  if (response.status < 400) return response
  const isProblem = response.body._tag !== "Empty" &&
    (response.body.contentType ?? "").startsWith("application/problem+json")
  // The original's own content-type and content-length describe the body being replaced.
  const { "content-length": _length, "content-type": _type, ...headers } = response.headers
  const withBody = isProblem
    ? response
    : HttpServerResponse.setHeaders(
      problemBody(statusProblem(response.status, plainTextDetail(response.body))),
      headers
    )
  return response.status === 401 ? HttpServerResponse.setHeader(withBody, "www-authenticate", "Bearer") : withBody
}

const fromCause = (cause: Cause.Cause<unknown>, request: HttpServerRequest.HttpServerRequest) =>
  Effect.gen(function*() {
    for (const reason of cause.reasons) {
      if (reason._tag === "Die" && reason.defect instanceof NotImplemented) {
        return problemBody(statusProblem(501, reason.defect.message))
      }
      if (reason._tag === "Fail" && HttpServerError.isHttpServerError(reason.error)) {
        const error = reason.error.reason
        if (error._tag === "RouteNotFound") {
          const path = pathOf(request.url)
          const allowed = allowedMethods(path)
          return allowed.length === 0
            ? problemBody(statusProblem(404, `no route for ${request.method} ${path}`))
            : problemBody(statusProblem(405, `${request.method} is not allowed on ${path}`), {
              allow: allowed.join(", ")
            })
        }
        if (error._tag === "RequestParseError") {
          return error.reason === "BodyTooLarge"
            ? problemBody(statusProblem(413, "the request body is too large"))
            : problemBody(statusProblem(400, "the request body could not be read"))
        }
      }
    }
    const [response] = yield* HttpServerError.causeResponse(cause)
    if (response.status >= 500 && response.status !== 503) {
      // The details stay in the log, next to the trace id; the client gets a generic problem.
      yield* Effect.logError("request failed", cause)
      return problemBody(statusProblem(500, "internal error"))
    }
    return response
  })

/**
 * Keeps a catalog read's answer for the hot path while the read cache holds it (`freshUntil`): a 200 to a `GET`
 * with a JSON body and no header of its own but a next page's `Link`, kept as a path (its URL depends on the
 * request). The answer is looked at as it is sent, after the pre-response handlers that add the handler's own
 * headers.
 */
const rememberHot = (hotReads: HotReads["Service"], cell: Readonly<RequestFacts>) =>
  HttpEffect.appendPreResponseHandler((request, response) =>
    Effect.sync(() => {
      const link = response.headers["link"]
      const nextPage = link === undefined ? undefined : nextPathOf(link)
      if (
        cell.freshUntil !== undefined && cell.route !== undefined && request.method === "GET" &&
        response.status === 200 && response.body._tag === "Uint8Array" && (link === undefined || nextPage !== undefined)
      ) {
        hotReads.remember(request.url, {
          route: cell.route,
          contentType: response.body.contentType,
          body: response.body.body,
          nextPage,
          freshUntil: cell.freshUntil
        }, Date.now())
      }
      return response
    })
  )

/**
 * The gateway's outermost middleware: the request's id (`X-Request-Id`, in the logs, the span and every problem
 * with the trace id), CORS (preflights answered here, before rate limits), request body limit, problem+json for
 * every error (every 400 in one shape), the security headers of every answer, and the `http_requests_total` /
 * `http_request_duration_seconds` metrics labelled with the route template.
 */
export const EdgeMiddleware = HttpRouter.middleware(
  Effect.gen(function*() {
    const { bodyLimit, cors, trustedProxies } = yield* GatewayConfig
    const hotReads = yield* HotReads
    const seriesFor = requestSeries()

    // Every failure is answered here; the cast only restates that for the router's "handled errors" check.
    return (httpApp) =>
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        const started = performance.now()
        const requestId = requestIdOf(request)
        // The request's server span, made around this middleware when a tracer exports spans (OTLP): its trace id
        // goes into the problems, and the request id onto the span, so either finds the other.
        // serviceOption, not Effect.option(currentParentSpan): no span is the common case, and the latter builds an
        // error (with its stack) for it on every request
        const span = yield* Effect.serviceOption(Tracer.ParentSpan)
        if (Option.isSome(span) && span.value._tag === "Span") span.value.attribute("http.request_id", requestId)
        const path = pathOf(request.url)
        const cell: RequestFacts = { route: undefined }
        const preflight = preflightAnswer(request, path, cors)
        if (preflight !== undefined) cell.route = "preflight"
        const answered = preflight ?? withProblemBody(
          yield* httpApp.pipe(
            Effect.provideService(RequestRoute, cell),
            Effect.provideService(HttpIncomingMessage.MaxBodySize, bodyLimit),
            Effect.catchCause((cause) => fromCause(cause, request)),
            Effect.annotateLogs({ request_id: requestId })
          )
        )
        const response = decorateProblem(answered, {
          method: request.method,
          requestId,
          traceId: Option.isSome(span) ? span.value.traceId : undefined
        })
        const route = cell.route ?? (staticRoutes.has(path) ? path : "unmatched")
        if (cell.freshUntil !== undefined && answered.status === 200) yield* rememberHot(hotReads, cell)
        const { count, duration } = seriesFor(request.method, route, response.status)
        yield* Metric.update(count, 1)
        yield* Metric.update(duration, (performance.now() - started) / 1000)
        return HttpServerResponse.setHeaders(response, {
          ...(preflight === undefined ? corsHeaders(request, cors) : {}),
          ...securityHeaders(request, route, trustedProxies),
          [RequestIdHeader]: requestId
        })
      }) as Effect.Effect<HttpServerResponse.HttpServerResponse, Types.unhandled, HttpServerRequest.HttpServerRequest>
  }),
  { global: true }
)
