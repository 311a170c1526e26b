import { RedisKeyPrefix, SoftRedis } from "@shop/service-defaults/Redis"
import { Clock, Context, Duration, Effect, Layer, Option } from "effect"
import { runBucketSync } from "./BucketSync.ts"
import { RateLimitConfig, type RouteClass } from "./RateLimitConfig.ts"
import { type Decision, TokenBuckets } from "./TokenBuckets.ts"

/**
 * The rate limiter of the gateway: local token buckets (a decision costs no I/O), reconciled through Redis in the
 * background when `REDIS_URL` is set so that every replica draws on one budget per caller (see BucketSync), alone
 * otherwise. Redis is never on the request path and never a reason to fail one.
 */
export class RateLimitBuckets extends Context.Service<RateLimitBuckets, {
  /** Takes one request from `caller`'s budget for `routeClass`. */
  readonly decide: (routeClass: RouteClass, caller: string) => Decision
}>()("gateway/RateLimitBuckets") {
  static readonly layer = Layer.effect(
    RateLimitBuckets,
    Effect.gen(function*() {
      const { maxKeys, quotas, syncInterval } = yield* RateLimitConfig
      const clock = yield* Clock.Clock
      const buckets = new TokenBuckets(maxKeys)
      const windows = Object.fromEntries(
        Object.entries(quotas).map(([routeClass, quota]) => [routeClass, Duration.toMillis(quota.window)])
      ) as Record<RouteClass, number>
      let degraded = false
      let fallbackCount = 0
      const redis = yield* Effect.serviceOption(SoftRedis)
      const prefix = `${yield* RedisKeyPrefix}gateway:ratelimit:`
      yield* runBucketSync({
        buckets,
        redis: Option.getOrUndefined(redis),
        interval: syncInterval,
        prefix,
        takeFallbackCount: () => {
          const count = fallbackCount
          fallbackCount = 0
          return count
        },
        setDegraded: (value) => void (degraded = value)
      })
      return RateLimitBuckets.of({
        decide: (routeClass, caller) => {
          if (degraded) fallbackCount++
          return buckets.consume(
            `${routeClass}:${caller}`,
            quotas[routeClass],
            windows[routeClass],
            clock.currentTimeMillisUnsafe()
          )
        }
      })
    })
  )

  /** With the buckets shared through Redis when `REDIS_URL` is set. */
  static readonly layerLive = Layer.unwrap(Effect.gen(function*() {
    const soft = yield* SoftRedis.fromConfig("rate limits", "each gateway limits on its own buckets")
    return Option.match(soft, {
      onNone: () => RateLimitBuckets.layer,
      onSome: (redis) => RateLimitBuckets.layer.pipe(Layer.provide(redis))
    })
  }))
}
