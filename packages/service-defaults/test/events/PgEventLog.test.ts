import { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Redacted, Ref } from "effect"
import { randomUUID } from "node:crypto"
import { EventBus } from "../../src/events/EventBus.ts"
import * as PgEventLog from "../../src/events/PgEventLog.ts"
import { acquireTestDatabase } from "../../testing/TestDatabase.ts"
import { eventBusContract, eventually, makeRecords } from "./EventBusContract.ts"

const EventLogLive = Layer.unwrap(
  Effect.map(
    acquireTestDatabase("event_log"),
    ({ maxConnections, url }) =>
      PgEventLog.layerNoDeps({ pollInterval: "100 millis", leaseDuration: "3 seconds", listen: maxConnections > 1 })
        .pipe(
          Layer.provide(PgClient.layer({ url: Redacted.make(url), maxConnections }))
        )
  )
)

eventBusContract("PostgreSQL event log", EventLogLive)

describe("PostgreSQL event log: one group, two instances", () => {
  it.live(
    "hands each event to one of them: the instance that does not hold the group's lease reads nothing",
    () =>
      Effect.gen(function*() {
        const bus = yield* EventBus
        const topic = `shared-${randomUUID().slice(0, 8)}`
        const group = `pair-${randomUUID().slice(0, 8)}`
        const handled = yield* Ref.make<Array<string>>([])
        const instances = yield* Effect.forEach([1, 2], () =>
          Effect.forkChild(bus.subscribe({
            group,
            topics: [topic],
            // A handler slow enough that both instances are in a round while events keep arriving.
            handler: (event) =>
              Effect.andThen(Effect.sleep("2 millis"), Ref.update(handled, (all) => [...all, event.eventId]))
          })))
        const records = makeRecords(topic, ["a", "b", "c"], 20)
        for (let i = 0; i < records.length; i += 6) {
          yield* bus.publish(records.slice(i, i + 6))
          yield* Effect.sleep("40 millis")
        }
        yield* eventually(Ref.get(handled), (ids) => new Set(ids).size === records.length)
        yield* Effect.sleep("300 millis") // rounds of both instances after the last event
        yield* Effect.forEach(instances, Fiber.interrupt)
        const seen = yield* Ref.get(handled)
        assert.strictEqual(seen.length, records.length, `${records.length} events handled ${seen.length} times`)
      }).pipe(Effect.scoped, Effect.provide(EventLogLive)),
    60_000
  )
})
