import { Clock, Context, Effect, Exit, Layer, Option, Tracer } from "effect"
import { Headers, HttpTraceContext } from "effect/http"
import type { IncomingMessage, ServerResponse } from "node:http"
import { AuthConfig } from "../auth/AuthConfig.ts"
import { bearerToken } from "../auth/Bearer.ts"
import { JwtVerifier } from "../auth/JwtVerifier.ts"
import { GatewayConfig } from "../GatewayConfig.ts"
import { clientAddress } from "../ratelimit/ClientKey.ts"
import { RateLimitBuckets } from "../ratelimit/RateLimitBuckets.ts"
import { RateLimitConfig } from "../ratelimit/RateLimitConfig.ts"
import { rateLimitFields, type RateLimitPolicy } from "../ratelimit/RateLimitHeaders.ts"
import { corsHeaders } from "./Cors.ts"
import { fromNodeRequest } from "./EdgeRequest.ts"
import { HotReads } from "./HotReads.ts"
import { hotPathAnswers, requestSeries } from "./HttpMetrics.ts"
import { nextLink } from "./NextLink.ts"
import { publicUrl } from "./PublicUrl.ts"
import { RequestIdHeader, requestIdOf } from "./RequestId.ts"
import { securityHeaders } from "./SecurityHeaders.ts"

/**
 * The hot path: a `GET` whose answer HotReads holds is answered straight from Node's request, before the HTTP
 * framework builds its request, runs the router, the API's middlewares and the response's schema. It applies the
 * same rules as the full path, from the same functions and state: the caller's rate-limit budget (the same buckets,
 * with the `RateLimit` fields), `CATALOG_PUBLIC`, the request id, CORS and security headers, a next page's `Link` made
 * for this request's Host, the request metrics and, when spans are exported, a server span joined to the client's
 * `traceparent`.
 *
 * Whatever it is not sure of goes the full path, which answers it as before: a URL it holds no fresh answer for, a
 * bearer token the verifier has not accepted yet (the full path verifies it, and the next request is hot), and a
 * caller out of budget (the full path answers the 429). `serve` says whether it answered.
 */
export class HotPath extends Context.Service<HotPath, {
  readonly serve: (request: IncomingMessage, response: ServerResponse) => boolean
}>()("gateway/HotPath") {
  static readonly layer = Layer.effect(
    HotPath,
    Effect.gen(function*() {
      const answers = yield* HotReads
      const buckets = yield* RateLimitBuckets
      const { quotas } = yield* RateLimitConfig
      const { catalogPublic } = yield* AuthConfig
      const verifier = yield* JwtVerifier
      const { cors, publicBaseUrl, trustedProxies } = yield* GatewayConfig
      const clock = yield* Clock.Clock
      const tracer = yield* Tracer.Tracer
      // the context the metrics are updated in (their registry)
      const context = yield* Effect.context<never>()
      const seriesFor = requestSeries()
      const policy: RateLimitPolicy = { name: "catalog-read", quota: quotas["catalog-read"] }
      const exportsSpans = tracer !== Tracer.nativeTracer

      const serverSpan = (request: IncomingMessage, route: string, requestId: string) => {
        const parent = HttpTraceContext.fromHeaders(Headers.fromInput(request.headers))
        const span = tracer.span({
          name: "GET",
          parent,
          annotations: Context.empty(),
          links: [],
          startTime: clock.currentTimeNanosUnsafe(),
          kind: "server",
          root: false,
          sampled: Option.isSome(parent) ? parent.value.sampled : true
        })
        span.attribute("http.request.method", "GET")
        span.attribute("http.route", route)
        span.attribute("url.path", request.url ?? "")
        span.attribute("http.request_id", requestId)
        return span
      }

      const serve = (request: IncomingMessage, response: ServerResponse): boolean => {
        if (request.method !== "GET" || request.url === undefined) return false
        const started = performance.now()
        const answer = answers.lookup(request.url, clock.currentTimeMillisUnsafe())
        if (answer === undefined) return false
        const edge = fromNodeRequest(request)
        const token = bearerToken(edge)
        let caller: string
        if (token === undefined) {
          if (!catalogPublic) return false
          caller = `ip:${clientAddress(edge, trustedProxies)}`
        } else {
          const user = verifier.alreadyVerified(token)
          if (user === undefined) return false
          caller = `user:${user.userId}`
        }
        const decision = buckets.decide("catalog-read", caller)
        if (!decision.allowed) return false
        const requestId = requestIdOf(edge)
        const span = exportsSpans ? serverSpan(request, answer.route, requestId) : undefined
        response.writeHead(200, {
          "content-type": answer.contentType,
          "content-length": String(answer.body.byteLength),
          ...rateLimitFields(decision, policy),
          ...corsHeaders(edge, cors),
          ...securityHeaders(edge, answer.route, trustedProxies),
          ...(answer.nextPage === undefined
            ? {}
            : { link: nextLink(publicUrl(edge, { publicBaseUrl, trustedProxies }, answer.nextPage)) }),
          [RequestIdHeader]: requestId
        })
        response.end(answer.body)
        const { count, duration } = seriesFor("GET", answer.route, 200)
        count.updateUnsafe(1, context)
        hotPathAnswers.updateUnsafe(1, context)
        duration.updateUnsafe((performance.now() - started) / 1000, context)
        if (span !== undefined) {
          span.attribute("http.response.status_code", 200)
          span.end(clock.currentTimeNanosUnsafe(), Exit.void)
        }
        return true
      }

      return HotPath.of({ serve })
    })
  )
}
