import { NodeRedis } from "@effect/platform-node"
import { Config, Effect, Layer } from "effect"
import { Redis } from "effect/persistence"
import { HealthChecks } from "./HealthChecks.ts"

/** `REDIS_URL`; when unset the service runs on in-memory stores (embedded mode). */
export const RedisUrl = Config.String("REDIS_URL").pipe(Config.option)

/** A Redis connection (`Redis.Redis` and `NodeRedis`) with a readiness check; closed when the layer is released. */
export const RedisLive = (url: string) =>
  Layer.effectDiscard(Effect.gen(function*() {
    const redis = yield* Redis.Redis
    yield* (yield* HealthChecks).register("redis", redis.send("PING"))
  })).pipe(Layer.provideMerge(NodeRedis.layer({ url, socket: { connectTimeout: 2_000 } })))
