import { RateLimit, RateLimited, Unauthorized } from "@shop/domain"
import { Duration, Effect, Layer, Option } from "effect"
import { HttpEffect, HttpServerRequest } from "effect/http"
import { AuthConfig } from "../auth/AuthConfig.ts"
import { bearerToken } from "../auth/Bearer.ts"
import { JwtVerifier } from "../auth/JwtVerifier.ts"
import { problemResponse } from "../edge/Problems.ts"
import { RequestRoute } from "../edge/RequestRoute.ts"
import { GatewayConfig } from "../GatewayConfig.ts"
import { clientAddress } from "./ClientKey.ts"
import { RateLimitBuckets } from "./RateLimitBuckets.ts"
import { RateLimitConfig } from "./RateLimitConfig.ts"
import { withRateLimitHeaders } from "./RateLimitHeaders.ts"
import { routeClassOf } from "./RouteClass.ts"

/**
 * The contract's `RateLimit` middleware: one token-bucket budget per caller (the token's user, else the client
 * address, see ClientKey) and route class, decided in memory (RateLimitBuckets). It runs before `Authorization`,
 * so it verifies the token itself (the verifier caches the result for `Authorization`). It also enforces
 * `CATALOG_PUBLIC=false` on the anonymous catalog reads.
 */
export const RateLimitLive = Layer.effect(
  RateLimit,
  Effect.gen(function*() {
    const buckets = yield* RateLimitBuckets
    const { quotas } = yield* RateLimitConfig
    const { trustedProxies } = yield* GatewayConfig
    const { catalogPublic } = yield* AuthConfig
    const verifier = yield* JwtVerifier

    return RateLimit.of((httpEffect, { endpoint, group }) =>
      Effect.gen(function*() {
        ;(yield* RequestRoute).route = endpoint.path
        const routeClass = routeClassOf(group, endpoint)
        if (routeClass === undefined) return yield* httpEffect
        const request = yield* HttpServerRequest.HttpServerRequest
        const token = bearerToken(request)
        const user = token === undefined ? Option.none() : yield* Effect.option(verifier.verify(token))
        if (routeClass === "catalog-read" && !catalogPublic && Option.isNone(user)) {
          return problemResponse(new Unauthorized({ detail: "a bearer token is required" }))
        }
        const caller = Option.isSome(user)
          ? `user:${user.value.userId}`
          : `ip:${clientAddress(request, trustedProxies)}`
        const decision = buckets.decide(routeClass, caller)
        const quota = quotas[routeClass]
        yield* HttpEffect.appendPreResponseHandler((_request, response) =>
          Effect.succeed(withRateLimitHeaders(response, decision, { name: routeClass, quota }))
        )
        if (decision.allowed) return yield* httpEffect
        return yield* new RateLimited({
          detail: `rate limit of ${quota.limit} requests per ${Duration.format(quota.window)} exceeded`,
          retryAfterSeconds: decision.retryAfterSeconds
        })
      })
    )
  })
)
