import { decodeEventJson, type KnownEvent } from "@shop/domain/Events"
import type { DeliveredEvent } from "@shop/service-defaults/events/EventBus"
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { randomUUID } from "node:crypto"
import { countDeadLetter } from "./NotificationMetrics.ts"
import { emailOf, renderConfirmed, type Rendered, renderFailed } from "./Templates.ts"

/** What became of one delivered event. */
export type InboxOutcome = "recorded" | "duplicate" | "ignored" | "dead_letter"

const render = (
  event: KnownEvent
): { readonly orderId: string; readonly userId: string; readonly message: Rendered } | undefined => {
  switch (event.type) {
    case "order.confirmed":
      return { orderId: event.payload.orderId, userId: event.payload.userId, message: renderConfirmed(event) }
    case "order.failed":
      return { orderId: event.payload.orderId, userId: event.payload.userId, message: renderFailed(event) }
    default:
      return undefined
  }
}

/**
 * Turns order events into pending notifications. The inbox row (event id) and the notification row are written in
 * one transaction: a redelivered event finds its inbox row and records nothing, so it can never cause a second
 * message. An event that cannot be decoded goes to the dead letters instead of blocking the stream.
 */
export class NotificationInbox extends Context.Service<NotificationInbox, {
  readonly handle: (event: DeliveredEvent) => Effect.Effect<InboxOutcome, unknown>
}>()("@shop/notification/NotificationInbox") {
  static readonly layer = Layer.effect(
    NotificationInbox,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const claim = (eventId: string, type: string) =>
        sql`INSERT INTO inbox (event_id, type) VALUES (${eventId}, ${type}) ON CONFLICT (event_id) DO NOTHING
          RETURNING event_id`.pipe(Effect.map((rows) => rows.length > 0))

      const deadLetter = (delivered: DeliveredEvent, error: string) =>
        sql.withTransaction(Effect.gen(function*() {
          if (!(yield* claim(delivered.eventId, delivered.type))) return "duplicate" as const
          const payload = JSON.stringify({ topic: delivered.topic, key: delivered.key, value: delivered.value })
          yield* sql`INSERT INTO dead_letters (event_id, type, payload, error, attempts)
            VALUES (${delivered.eventId}, ${delivered.type}, ${payload}::jsonb, ${error}, 1)`
          yield* countDeadLetter("undecodable_event")
          return "dead_letter" as const
        }))

      const handle = Effect.fn("NotificationInbox.handle")(function*(delivered: DeliveredEvent) {
        if (delivered.type !== "order.confirmed" && delivered.type !== "order.failed") return "ignored" as const
        const decoded = yield* Effect.result(decodeEventJson(delivered.value))
        if (decoded._tag === "Failure") return yield* deadLetter(delivered, decoded.failure.message)
        const event = decoded.success
        const target = render(event)
        if (target === undefined) return "ignored" as const
        return yield* sql.withTransaction(Effect.gen(function*() {
          if (!(yield* claim(event.eventId, event.type))) return "duplicate" as const
          const { message } = target
          yield* sql`INSERT INTO notifications (id, event_id, order_id, channel, recipient, template, status, subject, body)
            VALUES (${`ntf_${randomUUID()}`}, ${event.eventId}, ${target.orderId}, 'email', ${emailOf(target.userId)},
              ${message.template}, 'pending', ${message.subject}, ${message.body})`
          return "recorded" as const
        }))
      })
      return NotificationInbox.of({ handle })
    })
  )
}
