import { NodeRedis } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { CircuitBreaker } from "effect/persistence"
import { RedisUrl } from "../Redis.ts"

/**
 * Where circuit states live: in Redis under `prefix` when `REDIS_URL` is set, so that every replica of a service
 * sees one circuit per dependency; in memory otherwise.
 */
export const breakerStoreLayer = (prefix: string) =>
  Layer.unwrap(Effect.gen(function*() {
    const url = yield* RedisUrl
    return url._tag === "Some"
      ? CircuitBreaker.layerStoreRedis({ prefix }).pipe(
        Layer.provide(NodeRedis.layer({ url: url.value, socket: { connectTimeout: 2_000 } }))
      )
      : CircuitBreaker.layerStoreMemory()
  }))
