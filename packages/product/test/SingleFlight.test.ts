import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import { makeSingleFlight } from "../src/SingleFlight.ts"

describe("SingleFlight", () => {
  it.effect("concurrent callers of one key share one load; other keys and later calls load again", () =>
    Effect.gen(function*() {
      const singleFlight = yield* makeSingleFlight
      const gate = yield* Deferred.make<void>()
      let loads = 0
      const load = (value: string) =>
        Effect.andThen(Effect.sync(() => void loads++), Effect.as(Deferred.await(gate), value))
      const callers = yield* Effect.forEach(
        ["a", "a", "a", "b"],
        (key) => Effect.forkChild(singleFlight(key, load(key)), { startImmediately: true })
      )
      yield* Deferred.succeed(gate, undefined)
      assert.deepStrictEqual(yield* Effect.forEach(callers, Fiber.join), ["a", "a", "a", "b"])
      assert.strictEqual(loads, 2)
      assert.strictEqual(yield* singleFlight("a", load("a")), "a")
      assert.strictEqual(loads, 3)
    }))

  it.effect("an interrupted caller leaves the load running for the others; failures reach every caller", () =>
    Effect.gen(function*() {
      const singleFlight = yield* makeSingleFlight
      const gate = yield* Deferred.make<void>()
      const first = yield* Effect.forkChild(singleFlight("k", Effect.as(Deferred.await(gate), 1)), {
        startImmediately: true
      })
      const second = yield* Effect.forkChild(singleFlight("k", Effect.succeed(2)), { startImmediately: true })
      yield* Fiber.interrupt(first)
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual(yield* Fiber.join(second), 1)
      const failed = yield* Effect.exit(singleFlight("f", Effect.fail("boom")))
      assert.isTrue(Exit.isFailure(failed))
    }))
})
