import { NodeRedis } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { CircuitBreaker } from "effect/persistence"
import { RedisKeyPrefix, RedisUrl } from "../Redis.ts"

/**
 * Where circuit states live: in Redis under `REDIS_KEY_PREFIX` + `scope` (e.g. `shop:order:breaker:`) when
 * `REDIS_URL` is set, so that every replica of a service sees one circuit per dependency; in memory otherwise.
 */
export const breakerStoreLayer = (scope: string) =>
  Layer.unwrap(Effect.gen(function*() {
    const url = yield* RedisUrl
    const prefix = `${yield* RedisKeyPrefix}${scope}`
    return url._tag === "Some"
      ? CircuitBreaker.layerStoreRedis({ prefix }).pipe(
        Layer.provide(NodeRedis.layer({ url: url.value, socket: { connectTimeout: 2_000 } }))
      )
      : CircuitBreaker.layerStoreMemory()
  }))
