import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, type Layer, Ref } from "effect"
import { randomUUID } from "node:crypto"
import { type DeliveredEvent, EventBus, type EventRecord } from "../../src/events/EventBus.ts"
import { eventually } from "../../testing/Eventually.ts"

/** Records of one test: a fresh topic, so that tests sharing one transport never see each other's events. */
export const makeRecords = (topic: string, keys: ReadonlyArray<string>, perKey: number): Array<EventRecord> => {
  const records: Array<EventRecord> = []
  for (let i = 0; i < perKey; i++) {
    for (const key of keys) {
      const eventId = `evt_${randomUUID()}`
      records.push({ eventId, topic, key, type: "test.event", version: 1, value: JSON.stringify({ key, i, eventId }) })
    }
  }
  return records
}

export { eventually }

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`

/** Starts a consumer recording every delivery; the caller interrupts its fiber to "crash" it. */
const consume = (
  group: string,
  topic: string,
  onEvent: (e: DeliveredEvent) => Effect.Effect<void, unknown> = () => Effect.void
) =>
  Effect.gen(function*() {
    const bus = yield* EventBus
    const seen = yield* Ref.make<Array<DeliveredEvent>>([])
    const fiber = yield* Effect.forkChild(bus.subscribe({
      group,
      topics: [topic],
      handler: (e) => Effect.andThen(onEvent(e), Ref.update(seen, (all) => [...all, e]))
    }))
    return { fiber, seen: Ref.get(seen) }
  })

const ids = (events: ReadonlyArray<{ readonly eventId: string }>) => events.map((e) => e.eventId)

/**
 * The EventBus contract: every transport must pass it. `layer` is shared by the tests of one run; each test uses
 * its own topic and groups.
 */
export const eventBusContract = (name: string, layer: Layer.Layer<EventBus, unknown>) =>
  describe(`EventBus contract: ${name}`, () => {
    const run = <A, E>(effect: Effect.Effect<A, E, EventBus>) => Effect.provide(Effect.scoped(effect), layer)

    it.live(
      "publishes and consumes a round trip with ids, keys, types and headers intact",
      () =>
        run(Effect.gen(function*() {
          const topic = unique("t-roundtrip")
          const records = makeRecords(topic, ["ord_a"], 3).map((r) => ({
            ...r,
            traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
          }))
          yield* (yield* EventBus).publish(records)
          const consumer = yield* consume(unique("g"), topic)
          const seen = yield* eventually(consumer.seen, (s) => s.length >= 3)
          assert.deepStrictEqual(ids(seen), ids(records))
          const first = seen[0]!
          assert.strictEqual(first.key, "ord_a")
          assert.strictEqual(first.type, "test.event")
          assert.strictEqual(first.version, 1)
          assert.strictEqual(first.traceparent, records[0]!.traceparent)
          assert.strictEqual(first.value, records[0]!.value)
          yield* Fiber.interrupt(consumer.fiber)
        })),
      120_000
    )

    it.live(
      "handles the events of different keys at once, each key's in order",
      () =>
        run(Effect.gen(function*() {
          const topic = unique("t-keys")
          const records = makeRecords(topic, ["a", "b", "c", "d", "e", "f", "g", "h"], 4)
          let running = 0
          let mostAtOnce = 0
          yield* (yield* EventBus).publish(records)
          // Each handler takes 30 ms: one event after another, no two would ever overlap.
          const consumer = yield* consume(unique("g"), topic, () =>
            Effect.acquireUseRelease(
              Effect.sync(() => mostAtOnce = Math.max(mostAtOnce, ++running)),
              () => Effect.sleep("30 millis"),
              () => Effect.sync(() => running--)
            ))
          const seen = ids(yield* eventually(consumer.seen, (s) => new Set(ids(s)).size === records.length))
          yield* Fiber.interrupt(consumer.fiber)
          assert.isAbove(mostAtOnce, 1)
          for (const key of ["a", "b", "c", "d", "e", "f", "g", "h"]) {
            const order = ids(records.filter((r) => r.key === key))
            assert.deepStrictEqual(seen.filter((id) => order.includes(id)).slice(0, order.length), order)
          }
        })),
      120_000
    )

    it.live("keeps the order of each key across batches", () =>
      run(Effect.gen(function*() {
        const topic = unique("t-order")
        const keys = ["ord_1", "ord_2", "ord_3", "ord_4", "ord_5"]
        const records = makeRecords(topic, keys, 20)
        const bus = yield* EventBus
        const consumer = yield* consume(unique("g"), topic)
        for (let i = 0; i < records.length; i += 17) yield* bus.publish(records.slice(i, i + 17))
        const seen = yield* eventually(consumer.seen, (s) => s.length >= records.length)
        for (const key of keys) {
          assert.deepStrictEqual(ids(seen.filter((e) => e.key === key)), ids(records.filter((r) => r.key === key)))
        }
        yield* Fiber.interrupt(consumer.fiber)
      })), 120_000)

    it.live("misses no event of publishers racing each other while a consumer reads", () =>
      run(Effect.gen(function*() {
        const topic = unique("t-race")
        const records = makeRecords(topic, Array.from({ length: 8 }, (_, i) => `ord_r${i}`), 40)
        const bus = yield* EventBus
        const consumer = yield* consume(unique("g"), topic)
        // Eight publishers of one event at a time: a log whose order were not its commit order would let the
        // consumer pass an event committed after a later one, and never deliver it.
        yield* Effect.forEach(
          Array.from({ length: 8 }, (_, publisher) => records.filter((__, i) => i % 8 === publisher)),
          (mine) => Effect.forEach(mine, (record) => bus.publish([record]), { discard: true }),
          { concurrency: "unbounded", discard: true }
        )
        // The count alone is waited for: a failure then names how many came, not all of them.
        yield* eventually(Effect.map(consumer.seen, (s) => s.length), (n) => n >= records.length)
        assert.sameMembers(ids(yield* consumer.seen), ids(records))
        yield* Fiber.interrupt(consumer.fiber)
      })), 120_000)

    it.live(
      "delivers again an event whose handler failed, and one whose consumer crashed before committing",
      () =>
        run(Effect.gen(function*() {
          const topic = unique("t-crash")
          const group = unique("g")
          const records = makeRecords(topic, ["ord_x"], 4)
          const bus = yield* EventBus
          yield* bus.publish(records)
          const failedOnce = yield* Ref.make(false)
          const third = records[2]!.eventId
          const stuck = yield* Deferred.make<void>()
          // First consumer: the handler of event 2 fails once (retried in place), and event 3 hangs until the
          // consumer is killed.
          const first = yield* consume(group, topic, (e) =>
            Effect.gen(function*() {
              if (e.eventId === records[1]!.eventId && !(yield* Ref.getAndSet(failedOnce, true))) {
                return yield* Effect.fail(new Error("handler failed"))
              }
              if (e.eventId === third) {
                yield* Deferred.succeed(stuck, undefined)
                yield* Effect.never
              }
            }))
          yield* Deferred.await(stuck).pipe(Effect.timeout("45 seconds"))
          const before = yield* first.seen
          assert.isTrue(ids(before).includes(records[1]!.eventId), "event 2 was redelivered after its handler failed")
          assert.isFalse(ids(before).includes(third))
          yield* Fiber.interrupt(first.fiber)
          const second = yield* consume(group, topic)
          const after = yield* eventually(second.seen, (s) => ids(s).includes(records[3]!.eventId), "90 seconds")
          assert.isTrue(ids(after).includes(third), "the event in flight at the crash came again")
          yield* Fiber.interrupt(second.fiber)
        })),
      180_000
    )

    it.live("does not deliver again what a group committed", () =>
      run(Effect.gen(function*() {
        const topic = unique("t-commit")
        const group = unique("g")
        const bus = yield* EventBus
        const early = makeRecords(topic, ["ord_c"], 3)
        yield* bus.publish(early)
        const first = yield* consume(group, topic)
        yield* eventually(first.seen, (s) => s.length >= 3)
        // A later event: once it is delivered, everything before it was committed (commit precedes the next fetch).
        const marker = makeRecords(topic, ["ord_c"], 1)
        yield* bus.publish(marker)
        yield* eventually(first.seen, (s) => ids(s).includes(marker[0]!.eventId))
        yield* Fiber.interrupt(first.fiber)
        const second = yield* consume(group, topic)
        const last = makeRecords(topic, ["ord_c"], 1)
        yield* bus.publish(last)
        const seen = yield* eventually(second.seen, (s) => ids(s).includes(last[0]!.eventId), "90 seconds")
        for (const id of ids(early)) assert.isFalse(ids(seen).includes(id), `committed event ${id} came again`)
        yield* Fiber.interrupt(second.fiber)
      })), 180_000)

    it.live("gives each consumer group every event, independently", () =>
      run(Effect.gen(function*() {
        const topic = unique("t-groups")
        const records = makeRecords(topic, ["ord_g1", "ord_g2"], 3)
        const bus = yield* EventBus
        yield* bus.publish(records)
        const a = yield* consume(unique("ga"), topic)
        yield* eventually(a.seen, (s) => s.length >= records.length)
        yield* Fiber.interrupt(a.fiber)
        const b = yield* consume(unique("gb"), topic)
        const seenB = yield* eventually(b.seen, (s) => s.length >= records.length)
        assert.sameMembers(ids(seenB), ids(records))
        assert.sameMembers(ids(yield* a.seen), ids(records))
        yield* Fiber.interrupt(b.fiber)
      })), 120_000)
  })
