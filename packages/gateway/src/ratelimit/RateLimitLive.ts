import { RateLimit, RateLimited, Unauthorized } from "@shop/domain"
import { Duration, Effect, Layer, Option } from "effect"
import { HttpEffect, HttpServerRequest, HttpServerResponse } from "effect/http"
import { RateLimiter } from "effect/persistence"
import { AuthConfig } from "../auth/AuthConfig.ts"
import { bearerToken } from "../auth/Bearer.ts"
import { JwtVerifier } from "../auth/JwtVerifier.ts"
import { problemResponse } from "../edge/Problems.ts"
import { RequestRoute } from "../edge/RequestRoute.ts"
import { GatewayConfig } from "../GatewayConfig.ts"
import { clientAddress } from "./ClientKey.ts"
import { RateLimitConfig } from "./RateLimitConfig.ts"
import { routeClassOf } from "./RouteClass.ts"

const seconds = (duration: Duration.Duration) => Math.max(0, Math.ceil(Duration.toSeconds(duration)))

/**
 * The contract's `RateLimit` middleware: one fixed-window budget per caller (the token's user, else the client
 * address) and route class. It runs before `Authorization`, so it verifies the token itself (the verifier caches
 * the result for `Authorization`). It also enforces `CATALOG_PUBLIC=false` on the anonymous catalog reads.
 */
export const RateLimitLive = Layer.effect(
  RateLimit,
  Effect.gen(function*() {
    const limiter = yield* RateLimiter.RateLimiter
    const { quotas } = yield* RateLimitConfig
    const { trustProxy } = yield* GatewayConfig
    const { catalogPublic } = yield* AuthConfig
    const verifier = yield* JwtVerifier

    return RateLimit.of((httpEffect, { endpoint, group }) =>
      Effect.gen(function*() {
        ;(yield* RequestRoute).route = endpoint.path
        const routeClass = routeClassOf(group, endpoint)
        if (routeClass === undefined) return yield* httpEffect
        const request = yield* HttpServerRequest.HttpServerRequest
        const token = bearerToken(request.headers)
        const user = token === undefined
          ? Option.none()
          : yield* Effect.option(verifier.verify(token))
        if (routeClass === "catalog-read" && !catalogPublic && Option.isNone(user)) {
          return problemResponse(new Unauthorized({ detail: "a bearer token is required" }))
        }
        const caller = Option.match(user, {
          onNone: () => `ip:${clientAddress(request, trustProxy)}`,
          onSome: (verified) => `user:${verified.userId}`
        })
        const quota = quotas[routeClass]
        const consumed = yield* Effect.result(limiter.consume({
          algorithm: "fixed-window",
          onExceeded: "fail",
          key: `${routeClass}:${caller}`,
          limit: quota.limit,
          window: quota.window
        }))
        if (consumed._tag === "Success") {
          const { limit, remaining, resetAfter } = consumed.success
          yield* HttpEffect.appendPreResponseHandler((_request, response) =>
            Effect.succeed(HttpServerResponse.setHeaders(response, {
              "ratelimit-limit": String(limit),
              "ratelimit-remaining": String(remaining),
              "ratelimit-reset": String(seconds(resetAfter))
            }))
          )
          return yield* httpEffect
        }
        const reason = consumed.failure.reason
        if (reason._tag === "RateLimitStoreError") {
          // Availability over strictness: a store outage must not take the API down with it.
          yield* Effect.logWarning("rate limiter store failed; request let through", reason)
          return yield* httpEffect
        }
        const retryAfter = Math.max(1, seconds(reason.retryAfter))
        yield* HttpEffect.appendPreResponseHandler((_request, response) =>
          Effect.succeed(HttpServerResponse.setHeaders(response, {
            "retry-after": String(retryAfter),
            "ratelimit-limit": String(quota.limit),
            "ratelimit-remaining": "0",
            "ratelimit-reset": String(retryAfter)
          }))
        )
        return yield* new RateLimited({
          detail: `rate limit of ${quota.limit} requests per ${Duration.format(quota.window)} exceeded`,
          retryAfterSeconds: retryAfter
        })
      })
    )
  })
)
