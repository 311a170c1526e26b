import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Option, Tracer } from "effect"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { traced } from "../src/TracedFunction.ts"
import { countStackCaptures } from "./stackCaptures.ts"

const spanName = Effect.map(Effect.currentSpan, (span) => span.name)

describe("traced", () => {
  it.effect("runs every call in a span of its name, with the pipeables inside it", () =>
    Effect.gen(function*() {
      const double = traced("Test.double")(
        function*(n: number) {
          return { n: n * 2, span: yield* spanName }
        },
        Effect.flatMap((result) => Effect.map(spanName, (outer) => ({ ...result, outer })))
      )
      assert.deepStrictEqual(yield* double(21), { n: 42, span: "Test.double", outer: "Test.double" })
    }))

  it.effect("takes a body that returns an Effect, and the body's `this` as Effect.fn does", () =>
    Effect.gen(function*() {
      const plain = traced("Test.plain")((n: number) => Effect.map(spanName, (span) => `${span}:${n}`))
      assert.strictEqual(yield* plain(1), "Test.plain:1")
      const bound = traced("Test.bound")({ self: { base: 10 } }, function*(this: { base: number }, n: number) {
        return this.base + (yield* Effect.succeed(n))
      })
      assert.strictEqual(yield* bound(5), 15)
    }))

  it.effect("passes its span options on and parents the spans the body opens", () =>
    Effect.gen(function*() {
      const client = traced("Test.client", { kind: "client", attributes: { peer: "x" } })(function*() {
        const span = yield* Effect.currentSpan
        const child = yield* Effect.withSpan(Effect.currentSpan, "Test.child")
        return { span, child }
      })
      const { child, span } = yield* client()
      assert.strictEqual(span.kind, "client")
      assert.strictEqual(span.attributes.get("peer"), "x")
      assert.isTrue(Option.isSome(child.parent) && child.parent.value.spanId === span.spanId)
    }))

  it.effect("captures no stack trace per call; Effect.fn captures one per call", () =>
    Effect.gen(function*() {
      const viaTraced = traced("Test.cheap")(function*(n: number) {
        return yield* Effect.succeed(n + 1)
      })
      const viaEffectFn = Effect.fn("Test.costly")(function*(n: number) {
        return yield* Effect.succeed(n + 1)
      })
      const calls = Effect.forEach(Array.from({ length: 100 }, (_, i) => i), (i) => viaTraced(i))
      assert.strictEqual((yield* countStackCaptures(calls)).captures, 0)
      const costly = Effect.forEach(Array.from({ length: 100 }, (_, i) => i), (i) => viaEffectFn(i))
      assert.isAtLeast((yield* countStackCaptures(costly)).captures, 100)
    }))

  it.effect("a failure names where the function was defined", () =>
    Effect.gen(function*() {
      const failing = traced("Test.failing")(function*() {
        return yield* Effect.fail("broken")
      })
      const exit = yield* Effect.exit(failing())
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const rendered = Cause.pretty(exit.cause)
        assert.include(rendered, "Test.failing")
        assert.include(rendered, "TracedFunction.test.ts")
      }
    }))

  it.effect("is the span the tracer records", () =>
    Effect.gen(function*() {
      const names: Array<string> = []
      const recording = Tracer.make({
        span: (options) => {
          names.push(options.name)
          return new Tracer.NativeSpan(options)
        }
      })
      const work = traced("Test.recorded")(function*() {
        return yield* Effect.succeed(1)
      })
      yield* work().pipe(Effect.withTracer(recording))
      assert.deepStrictEqual(names, ["Test.recorded"])
    }))

  it("is what the services define their functions with: no Effect.fn in their sources", () => {
    const packages = join(import.meta.dirname, "..", "..")
    const offenders = readdirSync(packages).flatMap((name) => {
      const source = join(packages, name, "src")
      const files = readdirSync(source, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".ts"))
      return files
        .filter((file) => !file.endsWith("TracedFunction.ts"))
        .filter((file) => /\bEffect\.fn\(/.test(readFileSync(join(source, file), "utf8")))
        .map((file) => `${name}/src/${file}`)
    })
    assert.isAtLeast(readdirSync(packages).length, 5)
    assert.deepStrictEqual(offenders, [])
  })
})
