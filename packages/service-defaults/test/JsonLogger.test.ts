import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import { jsonLogger } from "../src/JsonLogger.ts"

const capture = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const sink = Logger.map(jsonLogger("order"), (line) => void lines.push(line))
    yield* effect.pipe(Effect.provide(Logger.layer([sink])))
    return lines.map((line) => JSON.parse(line) as Record<string, unknown>)
  })

describe("jsonLogger", () => {
  it.effect("writes level, time, service, message and the current trace and span ids", () =>
    Effect.gen(function*() {
      let ids = { traceId: "", spanId: "" }
      const [line] = yield* capture(
        Effect.gen(function*() {
          const span = yield* Effect.currentSpan
          ids = { traceId: span.traceId, spanId: span.spanId }
          yield* Effect.logInfo("order placed", "ord_1").pipe(Effect.annotateLogs({ order_id: "ord_1" }))
        }).pipe(Effect.withSpan("Orders.place"))
      )
      assert.strictEqual(line?.level, "info")
      assert.strictEqual(line?.service, "order")
      assert.strictEqual(line?.message, "order placed ord_1")
      assert.strictEqual(line?.order_id, "ord_1")
      assert.strictEqual(line?.trace_id, ids.traceId)
      assert.strictEqual(line?.span_id, ids.spanId)
      assert.match(String(line?.time), /^\d{4}-\d\d-\d\dT/)
    }))

  it.effect("outside a span a line carries no trace or span id", () =>
    Effect.gen(function*() {
      const [line] = yield* capture(Effect.logError("boom", new Error("disk full")))
      assert.isUndefined(line?.trace_id)
      assert.strictEqual(line?.level, "error")
    }))
})
