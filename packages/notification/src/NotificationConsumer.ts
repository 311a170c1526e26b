import { Topics } from "@shop/domain/EventEnvelope"
import { EventBus } from "@shop/service-defaults/events/EventBus"
import { Effect, Layer, Schedule } from "effect"
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

/** The consumer and the delivery worker, running while the layer lives. */
export const NotificationWorkersLive = Layer.effectDiscard(Effect.gen(function*() {
  yield* Effect.forkScoped(consumeOrderEvents.pipe(
    Effect.tapCause((cause) => Effect.logError("order event consumer stopped; restarting", cause)),
    Effect.retry(Schedule.spaced("5 seconds"))
  ))
  yield* Effect.forkScoped((yield* Deliveries).run)
}))
