import { assert, describe, it } from "@effect/vitest"
import { Context, type Duration, Effect, Layer } from "effect"
import { CircuitBreaker } from "effect/persistence"
import { randomUUID } from "node:crypto"
import { SoftRedis } from "../../src/Redis.ts"
import { layerStoreFallback } from "../../src/resilience/BreakerStore.ts"
import { eventually } from "../../testing/Eventually.ts"

const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379"

/**
 * One replica's breaker (consecutive(2), open 30 s) on the fallback store over a soft Redis at `url`; the Redis
 * client lives as long as the test's scope. The soft client connects in the background: with `connected`, the
 * replica is returned once its store reaches Redis (at most 5 s), so that what it records is shared from the start.
 */
const replica = (url: string, prefix: string, options: { closedFor?: Duration.Input; connected?: boolean } = {}) =>
  Effect.gen(function*() {
    const redis = yield* Layer.build(SoftRedis.layer({ url, purpose: "circuit breaker state", fallback: "in memory" }))
    if (options.connected === true) {
      const soft = Context.get(redis, SoftRedis)
      yield* eventually(Effect.sync(() => soft.available()), (available) => available, "5 seconds")
    }
    const store = yield* Layer.build(
      layerStoreFallback(prefix, options.closedFor === undefined ? {} : { closedFor: options.closedFor }).pipe(
        Layer.provide(Layer.succeedContext(redis))
      )
    )
    return yield* CircuitBreaker.make({ tripPolicy: CircuitBreaker.consecutive(2), openDuration: "30 seconds" }).pipe(
      Effect.provideContext(store)
    )
  })

const failing = Effect.fail("peer down")
const tagOf = (effect: Effect.Effect<unknown, unknown>) =>
  Effect.map(
    Effect.flip(effect),
    (error) => typeof error === "string" ? error : (error as CircuitBreaker.CircuitBreakerError).reason._tag
  )

describe("circuit breaker state with Redis as a soft dependency", () => {
  it.live("Redis unreachable: circuits still open and close, in memory, and no call waits for Redis", () =>
    Effect.gen(function*() {
      const breaker = yield* replica("redis://127.0.0.1:1", "test:breaker:")
      const started = Date.now()
      const outcomes = [
        yield* tagOf(failing.pipe(breaker.execute({ key: "peer" }))),
        yield* tagOf(failing.pipe(breaker.execute({ key: "peer" }))),
        yield* tagOf(failing.pipe(breaker.execute({ key: "peer" })))
      ]
      assert.deepStrictEqual(outcomes, ["peer down", "peer down", "CircuitOpen"])
      assert.isBelow(Date.now() - started, 1_000)
      assert.strictEqual((yield* breaker.state("peer"))._tag, "Open")
    }).pipe(Effect.scoped))

  it.live("Redis up: replicas share one circuit per dependency", () =>
    Effect.gen(function*() {
      const prefix = `test:breaker:${randomUUID()}:`
      const a = yield* replica(redisUrl, prefix, { connected: true })
      const b = yield* replica(redisUrl, prefix, { connected: true })
      yield* tagOf(failing.pipe(a.execute({ key: "peer" })))
      yield* tagOf(failing.pipe(a.execute({ key: "peer" })))
      assert.strictEqual(
        yield* tagOf(Effect.succeed("ok").pipe(b.execute({ key: "peer" }), Effect.andThen(failing))),
        "CircuitOpen"
      )
    }).pipe(Effect.scoped))

  it.live("a closed circuit is not asked of Redis before every call: another replica's opening is seen within closedFor", () =>
    Effect.gen(function*() {
      const prefix = `test:breaker:${randomUUID()}:`
      const a = yield* replica(redisUrl, prefix, { connected: true })
      const b = yield* replica(redisUrl, prefix, { closedFor: "400 millis", connected: true })
      const ok = Effect.succeed("ok")
      assert.strictEqual(yield* ok.pipe(b.execute({ key: "peer" })), "ok") // b learns the circuit is closed
      yield* tagOf(failing.pipe(a.execute({ key: "peer" })))
      yield* tagOf(failing.pipe(a.execute({ key: "peer" })))
      assert.strictEqual((yield* a.state("peer"))._tag, "Open")
      // within closedFor, b still admits on what it knew: the documented lag
      assert.strictEqual(yield* ok.pipe(b.execute({ key: "peer" })), "ok")
      yield* Effect.sleep("500 millis")
      assert.strictEqual(yield* tagOf(ok.pipe(b.execute({ key: "peer" }), Effect.andThen(failing))), "CircuitOpen")
    }).pipe(Effect.scoped))
})
