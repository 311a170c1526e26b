import { Topics } from "@shop/domain/EventEnvelope"
import { EventBus } from "@shop/service-defaults/events/EventBus"
import { pruneInbox, retentionSweepInterval, sweepEvery } from "@shop/service-defaults/events/Retention"
import { Config, Duration, Effect, Layer, Schedule } from "effect"
import { Deliveries } from "./Deliveries.ts"
import { NotificationInbox } from "./NotificationInbox.ts"

/** Consumer group of the notification service. */
export const notificationGroup = "notification"

/** Consumes order events into the inbox (group "notification"), for as long as it runs. */
export const consumeOrderEvents = Effect.gen(function*() {
  const bus = yield* EventBus
  const inbox = yield* NotificationInbox
  return yield* bus.subscribe({ group: notificationGroup, topics: [Topics.orders], handler: inbox.handle })
})

/**
 * The consumer, the delivery worker and the inbox retention sweep (`INBOX_RETENTION`, 30 days: longer than any
 * redelivery, see pruneInbox), running while the layer lives.
 */
export const NotificationWorkersLive = Layer.effectDiscard(Effect.gen(function*() {
  yield* Effect.forkScoped(consumeOrderEvents.pipe(
    Effect.tapCause((cause) => Effect.logError("order event consumer stopped; restarting", cause)),
    Effect.retry(Schedule.spaced("5 seconds"))
  ))
  yield* Effect.forkScoped((yield* Deliveries).run)
  const keep = yield* Config.Duration("INBOX_RETENTION").pipe(Config.withDefault(Duration.days(30)))
  const sweep = yield* retentionSweepInterval
  yield* Effect.forkScoped(sweepEvery(sweep, pruneInbox({ keep }), "inbox"))
}))
