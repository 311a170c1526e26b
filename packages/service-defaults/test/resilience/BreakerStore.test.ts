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
const replica = (
  url: string,
  prefix: string,
  options: {
    closedFor?: Duration.Input
    successEvery?: Duration.Input
    connected?: boolean
    /** Counts the scripts this replica's store runs in Redis (every admit and record is one). */
    scripts?: { count: number }
  } = {}
) =>
  Effect.gen(function*() {
    const built = yield* Layer.build(SoftRedis.layer({ url, purpose: "circuit breaker state", fallback: "in memory" }))
    const soft = Context.get(built, SoftRedis)
    if (options.connected === true) {
      yield* eventually(Effect.sync(() => soft.available()), (available) => available, "5 seconds")
    }
    const scripts = options.scripts
    const countedEval: typeof soft.redis.eval = (script) => {
      const run = soft.redis.eval(script)
      return (...params) =>
        Effect.suspend(() => {
          if (scripts !== undefined) scripts.count++
          return run(...params)
        })
    }
    const counted = SoftRedis.of({ ...soft, redis: { ...soft.redis, eval: countedEval } })
    const { closedFor, successEvery } = options
    const store = yield* Layer.build(
      layerStoreFallback(prefix, {
        ...(closedFor === undefined ? {} : { closedFor }),
        ...(successEvery === undefined ? {} : { successEvery })
      }).pipe(Layer.provide(Layer.succeed(SoftRedis, counted)))
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

  it.live("the successes of a closed circuit reach Redis once per successEvery, not once per call", () =>
    Effect.gen(function*() {
      const prefix = `test:breaker:${randomUUID()}:`
      const scripts = { count: 0 }
      const a = yield* replica(redisUrl, prefix, { connected: true, successEvery: "200 millis", scripts })
      const ok = Effect.succeed("ok")
      const started = Date.now()
      for (let i = 0; i < 100; i++) assert.strictEqual(yield* ok.pipe(a.execute({ key: "peer" })), "ok")
      const elapsed = Date.now() - started
      // One admission (reused while closed), and a record per 200 ms that the calls took, at most. (That the last
      // success is written after its window is the next test's.)
      assert.isAtMost(scripts.count, 2 + Math.ceil(elapsed / 200), `${scripts.count} scripts for 100 calls`)
    }).pipe(Effect.scoped))

  it.live("with successEvery zero every success is written at once, as before", () =>
    Effect.gen(function*() {
      const scripts = { count: 0 }
      const a = yield* replica(redisUrl, `test:breaker:${randomUUID()}:`, { connected: true, successEvery: 0, scripts })
      for (let i = 0; i < 20; i++) {
        assert.strictEqual(yield* Effect.succeed("ok").pipe(a.execute({ key: "peer" })), "ok")
      }
      assert.strictEqual(scripts.count, 21, "one admission and twenty records")
    }).pipe(Effect.scoped))

  it.live("one replica's success still ends another's failure streak, and a failure is never deferred", () =>
    Effect.gen(function*() {
      const prefix = `test:breaker:${randomUUID()}:`
      const a = yield* replica(redisUrl, prefix, { connected: true })
      const bScripts = { count: 0 }
      const b = yield* replica(redisUrl, prefix, { connected: true, successEvery: "50 millis", scripts: bScripts })
      const redis = yield* Layer.build(SoftRedis.layer({ url: redisUrl, purpose: "test", fallback: "none" }))
      const soft = Context.get(redis, SoftRedis)
      const streak = Effect.orDie(soft.send<string | null>("HGET", `${prefix}peer`, "streak"))
      const ok = Effect.succeed("ok")
      assert.strictEqual(yield* ok.pipe(b.execute({ key: "peer" })), "ok") // b knows the circuit closed
      // b's admission and, after its window, its first success: written before a's failure below
      yield* eventually(Effect.sync(() => bScripts.count), (count) => count >= 2, "5 seconds")
      yield* tagOf(failing.pipe(a.execute({ key: "peer" })))
      assert.strictEqual(yield* streak, "1", "a's failure is in Redis at once")
      assert.strictEqual(yield* ok.pipe(b.execute({ key: "peer" })), "ok")
      // b's success reaches Redis within its window and ends the streak: a's next failure is the first again
      yield* eventually(streak, (value) => value === "0", "5 seconds")
      yield* tagOf(failing.pipe(a.execute({ key: "peer" })))
      assert.strictEqual((yield* a.state("peer"))._tag, "Closed", "two failures, but not in a row")
      // b's own success then failure reach Redis in that order: the failure counts after the success, not before
      assert.strictEqual(yield* ok.pipe(b.execute({ key: "peer" })), "ok")
      yield* tagOf(failing.pipe(b.execute({ key: "peer" })))
      assert.strictEqual(yield* streak, "1")
      yield* tagOf(failing.pipe(a.execute({ key: "peer" })))
      assert.strictEqual((yield* a.state("peer"))._tag, "Open")
    }).pipe(Effect.scoped))
})
