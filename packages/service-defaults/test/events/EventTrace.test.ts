import { assert, describe, it } from "@effect/vitest"
import { OrderId } from "@shop/domain/Ids"
import { Effect, Layer, Ref, Tracer } from "effect"
import { EventBus, type EventRecord } from "../../src/events/EventBus.ts"
import { currentTraceparent, processSpan, spanOfTraceparent } from "../../src/events/EventTrace.ts"
import { runOutboxRelay } from "../../src/events/OutboxRelay.ts"
import { countStackCaptures } from "../stackCaptures.ts"
import { eventually } from "./EventBusContract.ts"
import { insertCancellations, OutboxDatabase, traceparent } from "./OutboxFixture.ts"

/** The native tracer, keeping every span it starts, so that a test can read names, kinds and parents. */
const recordingTracer = (spans: Array<Tracer.Span>) =>
  Tracer.make({
    span: (options) => {
      const span = Tracer.nativeTracer.span(options)
      spans.push(span)
      return span
    }
  })

const parentSpanId = (span: Tracer.Span) => span.parent._tag === "Some" ? span.parent.value.spanId : undefined

const [, traceId, spanId] = traceparent.split("-")

describe("event trace continuation", () => {
  it.effect("a consumer's processing is a child of the event's traceparent, or a new trace without one", () =>
    Effect.gen(function*() {
      const spans: Array<Tracer.Span> = []
      const event = {
        eventId: "evt_1",
        topic: "shop.orders",
        key: "ord_1",
        type: "order.confirmed",
        version: 1,
        traceparent,
        value: "{}",
        position: "1"
      }
      const inside = yield* currentTraceparent.pipe(
        processSpan(event, "notification"),
        Effect.withTracer(recordingTracer(spans)),
        // a long-running loop's span must not become the parent
        Effect.withSpan("consumer loop")
      )
      const process = spans.find((s) => s.name === "process shop.orders")!
      assert.strictEqual(process.kind, "consumer")
      assert.strictEqual(process.traceId, traceId)
      assert.strictEqual(parentSpanId(process), spanId)
      assert.strictEqual(inside, `00-${traceId}-${process.spanId}-01`)

      yield* Effect.void.pipe(
        processSpan({ ...event, traceparent: undefined }, "notification"),
        Effect.withTracer(recordingTracer(spans)),
        Effect.withSpan("consumer loop")
      )
      const orphan = spans.filter((s) => s.name === "process shop.orders")[1]!
      assert.isUndefined(parentSpanId(orphan))
      assert.notStrictEqual(orphan.traceId, traceId)
      assert.isUndefined(spanOfTraceparent("not-a-traceparent"))

      // One span per event: it takes no stack trace (a stack walk per event).
      const handled = Effect.forEach([1, 2, 3], () => Effect.void.pipe(processSpan(event, "notification")))
      assert.strictEqual((yield* countStackCaptures(handled)).captures, 0)
    }))

  it.live(
    "the relay publishes each event in a producer span under the row's trace, and the record carries it",
    () =>
      Effect.gen(function*() {
        const spans: Array<Tracer.Span> = []
        const stored = yield* Ref.make<Array<EventRecord>>([])
        const bus = Layer.succeed(
          EventBus,
          EventBus.of({
            publish: (records) => Ref.update(stored, (all) => [...all, ...records]),
            subscribe: () => Effect.never
          })
        )
        yield* Effect.gen(function*() {
          yield* insertCancellations([yield* OrderId.generate], "traced")
          yield* Effect.forkScoped(
            runOutboxRelay({ pollInterval: "20 millis" }).pipe(Effect.withTracer(recordingTracer(spans)))
          )
          const [record] = yield* eventually(Ref.get(stored), (all) => all.length === 1)
          const publish = spans.find((s) => s.name === "publish shop.orders")!
          assert.strictEqual(publish.kind, "producer")
          assert.strictEqual(publish.traceId, traceId)
          assert.strictEqual(parentSpanId(publish), spanId)
          assert.strictEqual(record!.traceparent, `00-${traceId}-${publish.spanId}-01`)
          assert.strictEqual(publish.status._tag, "Ended")
        }).pipe(Effect.scoped, Effect.provide(Layer.merge(OutboxDatabase, bus)))
      }),
    60_000
  )
})
