import { NodeRedis } from "@effect/platform-node"
import { Config, Effect, Layer } from "effect"
import { Redis } from "effect/persistence"
import { HealthChecks } from "./HealthChecks.ts"

/** `REDIS_URL`; when unset the service runs on in-memory stores (embedded mode). */
export const RedisUrl = Config.String("REDIS_URL").pipe(Config.option)

/**
 * `REDIS_KEY_PREFIX` (default `shop:`): the start of every key the platform writes (cache, rate limits, breaker
 * states), so that several deployments, or a test run, can share one Redis without touching each other's keys.
 */
export const RedisKeyPrefix = Config.String("REDIS_KEY_PREFIX").pipe(Config.withDefault("shop:"))

/** A Redis connection (`Redis.Redis` and `NodeRedis`) with a readiness check; closed when the layer is released. */
export const RedisLive = (url: string) =>
  Layer.effectDiscard(Effect.gen(function*() {
    const redis = yield* Redis.Redis
    yield* (yield* HealthChecks).register("redis", redis.send("PING"))
  })).pipe(Layer.provideMerge(NodeRedis.layer({ url, socket: { connectTimeout: 2_000 } })))
