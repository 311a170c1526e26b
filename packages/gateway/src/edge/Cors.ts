import type { HttpServerRequest } from "effect/http"
import { HttpServerResponse } from "effect/http"
import { allowedMethods } from "./AllowedMethods.ts"
import { allowsOrigin, type CorsPolicy } from "./CorsPolicy.ts"
import { type EdgeRequest, headerOf } from "./EdgeRequest.ts"
import { problemBody, statusProblem } from "./Problems.ts"

/** Request headers a browser page on another origin may send: the token, the body's type, the API's own. */
const allowedHeaders = "authorization, content-type, idempotency-key, x-request-id, traceparent, tracestate"

/** Response headers such a page may read besides the CORS-safelisted ones. */
const exposedHeaders = [
  "location",
  "link",
  "idempotent-replayed",
  "x-request-id",
  "ratelimit-policy",
  "ratelimit",
  "ratelimit-limit",
  "ratelimit-remaining",
  "ratelimit-reset",
  "retry-after"
].join(", ")

/** How long a browser may keep a preflight's answer, in seconds. */
const preflightMaxAge = "600"

const isPreflight = (request: HttpServerRequest.HttpServerRequest) =>
  request.method === "OPTIONS" && request.headers["origin"] !== undefined &&
  request.headers["access-control-request-method"] !== undefined

/**
 * The answer to a CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`): 204 with what an
 * allowed origin may do on that path, a 403 problem for any other origin; undefined when the request is not a
 * preflight or its path is not an API route (the router answers it then).
 */
export const preflightAnswer = (
  request: HttpServerRequest.HttpServerRequest,
  path: string,
  policy: CorsPolicy
): HttpServerResponse.HttpServerResponse | undefined => {
  if (!isPreflight(request)) return undefined
  const methods = allowedMethods(path)
  if (methods.length === 0) return undefined
  const origin = request.headers["origin"]!
  if (!allowsOrigin(policy, origin)) {
    return problemBody(statusProblem(403, `origin ${origin} may not call this API (see CORS_ALLOWED_ORIGINS)`), {
      vary: "Origin"
    })
  }
  return HttpServerResponse.empty({
    status: 204,
    headers: {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": methods.join(", "),
      "access-control-allow-headers": allowedHeaders,
      "access-control-max-age": preflightMaxAge,
      vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
    }
  })
}

/**
 * CORS headers of an answer to an allowed origin: the origin itself (never `*`: the answer may be personal) and the
 * headers its script may read. Same-origin requests and other origins get none; answers vary by `Origin` whenever
 * some origin is allowed, so a cache never hands one origin's answer to another.
 */
export const corsHeaders = (request: EdgeRequest, policy: CorsPolicy): Record<string, string> => {
  if (policy._tag === "SameOrigin") return {}
  const origin = headerOf(request, "origin")
  if (origin === undefined || !allowsOrigin(policy, origin)) return { vary: "Origin" }
  return { "access-control-allow-origin": origin, "access-control-expose-headers": exposedHeaders, vary: "Origin" }
}
