import { assert, describe, it } from "@effect/vitest"
import { EventBus } from "@shop/service-defaults/events/EventBus"
import { Deferred, Effect, Fiber, Layer, Ref } from "effect"
import { SqlClient } from "effect/sql"
import { Deliveries } from "../src/Deliveries.ts"
import { notificationGroup } from "../src/NotificationConsumer.ts"
import { type InboxOutcome, NotificationInbox } from "../src/NotificationInbox.ts"
import { SmtpSink } from "../src/SmtpSink.ts"
import { confirmedRecord, EventLogTest, NotificationTest } from "./fixtures.ts"

const eventually = <A>(read: Effect.Effect<A, unknown>, check: (a: A) => boolean, what: string) =>
  Effect.gen(function*() {
    const deadline = Date.now() + 60_000
    while (true) {
      const value = yield* Effect.orDie(read)
      if (check(value)) return value
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting for ${what}`))
      yield* Effect.sleep("50 millis")
    }
  })

describe("order.confirmed -> email", () => {
  it.live(
    "reaches a real SMTP server exactly once although the consumer is killed mid-batch and redelivers",
    () =>
      Effect.gen(function*() {
        const bus = yield* EventBus
        const inbox = yield* NotificationInbox
        const sink = yield* SmtpSink
        const sql = yield* SqlClient.SqlClient
        const outcomes = yield* Ref.make<Array<InboxOutcome>>([])
        const handled = yield* Ref.make(0)
        const killed = yield* Deferred.make<void>()
        const consumer = (killAt: number | undefined) =>
          bus.subscribe({
            group: notificationGroup,
            topics: ["shop.orders"],
            handler: (event) =>
              Effect.gen(function*() {
                const outcome = yield* inbox.handle(event)
                yield* Ref.update(outcomes, (all) => [...all, outcome])
                // Dies after the inbox committed and before the log offset did: a crash in the middle of a batch.
                if ((yield* Ref.updateAndGet(handled, (n) => n + 1)) === killAt) {
                  yield* Deferred.succeed(killed, undefined)
                  yield* Effect.never
                }
              })
          })

        const records = yield* Effect.forEach(
          Array.from({ length: 12 }, (_, i) => i),
          (i) => confirmedRecord(`user_${i}`, i === 0 ? "TRK-000123" : undefined)
        )
        const target = records[0]!.event
        yield* bus.publish(records.map((r) => r.record))
        yield* Effect.forkScoped((yield* Deliveries).run)

        const first = yield* Effect.forkScoped(consumer(8))
        yield* Deferred.await(killed)
        yield* Fiber.interrupt(first)
        const second = yield* Effect.forkScoped(consumer(undefined))
        yield* eventually(sink.list, (mails) => mails.length >= records.length, "every confirmation mail")
        yield* eventually(Ref.get(outcomes), (o) => o.filter((x) => x === "duplicate").length >= 7, "the redelivery")
        // Give a wrongly repeated send time to show up before counting.
        yield* Effect.sleep("1 second")
        yield* Fiber.interrupt(second)

        const mails = yield* sink.list
        const all = yield* Ref.get(outcomes)
        // The consumer handles different orders' events at once, so a handler interrupted by the kill may have had
        // its notification recorded (the batch's statement runs on) without seeing the outcome: the database says
        // what was recorded, once per event.
        const stored = yield* sql<{ n: number; events: number }>`
        SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS events FROM notifications`
        assert.deepStrictEqual([stored[0]?.n, stored[0]?.events], [records.length, records.length])
        assert.isAtMost(all.filter((o) => o === "recorded").length, records.length)
        assert.isAtLeast(all.filter((o) => o === "duplicate").length, 7, "events handled before the kill came again")
        assert.strictEqual(mails.length, records.length, "one mail per order, none twice")
        assert.strictEqual(new Set(mails.map((m) => m.messageId)).size, records.length)
        const forTarget = mails.filter((m) => m.subject.includes(target.payload.orderId))
        assert.strictEqual(forTarget.length, 1)
        const mail = forTarget[0]!
        assert.deepStrictEqual(mail.to, ["user_0@customers.shop-mesh.local"])
        assert.include(mail.raw, "2 x Espresso cup at 12.50 USD")
        assert.include(mail.raw, "Total: 25.00 USD")
        assert.include(mail.raw, "Tracking number: TRK-000123")
        const rows = yield* sql<{ status: string; channel: string }>`
        SELECT status, channel FROM notifications WHERE order_id = ${target.payload.orderId}`
        assert.deepStrictEqual(rows.map((r) => [r.channel, r.status]), [["email", "sent"]])
      }).pipe(Effect.provide(Layer.merge(EventLogTest, NotificationTest()))),
    180_000
  )
})
