import { RedisKeyPrefix, RedisLive, RedisUrl } from "@shop/service-defaults/Redis"
import { Effect, Layer, Option } from "effect"
import { RateLimiter } from "effect/persistence"

/**
 * The rate limiter's store: Redis when `REDIS_URL` is set, so that every gateway replica draws from the same
 * budget; process memory otherwise (one replica, embedded mode).
 */
export const RateLimiterLive = Layer.unwrap(Effect.gen(function*() {
  const url = yield* RedisUrl
  const prefix = `${yield* RedisKeyPrefix}gateway:ratelimit:`
  return Option.match(url, {
    onNone: () => RateLimiter.layer.pipe(Layer.provide(RateLimiter.layerStoreMemory)),
    onSome: (redisUrl) =>
      RateLimiter.layer.pipe(
        Layer.provide(RateLimiter.layerStoreRedis({ prefix })),
        Layer.provide(RedisLive(redisUrl))
      )
  })
}))
