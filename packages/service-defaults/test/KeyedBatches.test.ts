import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { makeKeyedBatches } from "../src/KeyedBatches.ts"

describe("KeyedBatches", () => {
  it.effect("runs the first calls of a key at once, batches those that wait, and keeps keys apart", () =>
    Effect.gen(function*() {
      const batches: Array<ReadonlyArray<string>> = []
      const spans = new Map<string, string>()
      const links = new Map<string, ReadonlyArray<string>>()
      const call = yield* makeKeyedBatches<string, string, "refused">({
        maxBatch: 4,
        inFlight: 2,
        conflicts: (a, b) => a === b,
        run: (inputs) =>
          Effect.gen(function*() {
            batches.push(inputs)
            const span = yield* Effect.currentSpan.pipe(
              Effect.map((current) => current.name),
              Effect.orElseSucceed(() => "none")
            )
            spans.set(inputs.join(""), span)
            // The spans made within the batch carry its links.
            const linked = yield* Effect.spanLinks
            links.set(inputs.join(""), linked.map((link) => link.span._tag === "Span" ? link.span.name : "external"))
            yield* Effect.sleep("10 millis")
            if (inputs.includes("bad")) return yield* Effect.fail("refused" as const)
            return inputs.map((input) => input.toUpperCase())
          })
      })
      const inputs = ["a", "b", "c", "d", "c", "e", "f", "g"]
      const fiber = yield* Effect.forkChild(
        Effect.all([
          Effect.forEach(inputs, (input, i) => Effect.exit(call("hot", input).pipe(Effect.withSpan(`call ${i}`))), {
            concurrency: "unbounded"
          }),
          Effect.forEach(["x", "bad", "y"], (input) => Effect.exit(call(input === "y" ? "hot" : "cold", input)), {
            concurrency: "unbounded"
          })
        ], { concurrency: "unbounded" })
      )
      yield* TestClock.adjust("1 second")
      const [hot, cold] = yield* Fiber.join(fiber)

      // Two alone at once, then batches of the waiting calls in order, at most 4, the second "c" in a later one.
      assert.deepStrictEqual(batches.filter((batch) => !batch.includes("x") && !batch.includes("bad")), [
        ["a"],
        ["b"],
        ["c", "d", "e", "f"],
        ["c", "g", "y"]
      ])
      assert.deepStrictEqual(hot.map((exit) => Exit.isSuccess(exit) ? exit.value : "failed"), [
        "A",
        "B",
        "C",
        "D",
        "C",
        "E",
        "F",
        "G"
      ])
      // Each batch runs under the span of its first call, not of the call that started the key's first batch.
      assert.deepStrictEqual([spans.get("a"), spans.get("b"), spans.get("cdef"), spans.get("cgy")], [
        "call 0",
        "call 1",
        "call 2",
        "call 4"
      ])
      assert.strictEqual(spans.get("x"), "none")
      // ... and links to the spans of the other calls it serves (the call without a span has none to link).
      assert.deepStrictEqual([links.get("a"), links.get("cdef"), links.get("cgy")], [
        [],
        ["call 3", "call 5", "call 6"],
        ["call 7"]
      ])
      // Another key runs at once too; a failed batch fails every call in it and nothing else.
      assert.deepStrictEqual(batches.slice(0, 4).flat().toSorted(), ["a", "b", "bad", "x"])
      assert.deepStrictEqual(cold.map((exit) => Exit.isSuccess(exit) ? exit.value : "failed"), ["X", "failed", "Y"])
    }).pipe(Effect.scoped))
})
