import { decodeEventJson, type KnownEvent } from "@shop/domain/Events"
import type { DeliveredEvent } from "@shop/service-defaults/events/EventBus"
import { currentTraceparent } from "@shop/service-defaults/events/EventTrace"
import { makeKeyedBatches } from "@shop/service-defaults/KeyedBatches"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, Effect, Layer } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import { randomUUID } from "node:crypto"
import { NotificationConfig } from "./NotificationConfig.ts"
import { countDeadLetter, countSent } from "./NotificationMetrics.ts"
import { type Recipient, recipientOf } from "./Recipients.ts"
import { renderConfirmed, type Rendered, renderFailed } from "./Templates.ts"

/** What became of one delivered event. */
export type InboxOutcome = "recorded" | "unsendable" | "duplicate" | "ignored" | "dead_letter"

/** One event's inbox row and notification, as the batched statement writes them. */
interface Recorded {
  readonly id: string
  readonly eventId: string
  readonly type: string
  readonly orderId: string
  readonly recipient: string | null
  readonly template: string
  readonly status: "pending" | "unsendable"
  readonly subject: string
  readonly body: string
  readonly lastError: string | null
  readonly smsFallback: string | null
  readonly traceparent: string | null
}

interface Notification {
  readonly orderId: string
  readonly message: Rendered
  readonly recipient: Recipient
}

const render = (event: KnownEvent, missingContact: "derive" | "unsendable"): Notification | undefined => {
  switch (event.type) {
    case "order.confirmed":
      return {
        orderId: event.payload.orderId,
        message: renderConfirmed(event),
        recipient: recipientOf(event.payload, missingContact)
      }
    case "order.failed":
      return {
        orderId: event.payload.orderId,
        message: renderFailed(event),
        recipient: recipientOf(event.payload, missingContact)
      }
    default:
      return undefined
  }
}

/**
 * Turns order events into pending notifications. The inbox row (event id) and the notification row are written by
 * one statement: a redelivered event finds its inbox row and records nothing, so it can never cause a second
 * message. An event that cannot be decoded goes to the dead letters instead of blocking the stream. The notification
 * keeps the trace context of the event's processing, so that its delivery, later and on another fiber, continues
 * the order's trace. A notification with nowhere to go (see Recipients.ts) is recorded `unsendable`, never sent.
 */
export class NotificationInbox extends Context.Service<NotificationInbox, {
  readonly handle: (event: DeliveredEvent) => Effect.Effect<InboxOutcome, unknown>
}>()("@shop/notification/NotificationInbox") {
  static readonly layer = Layer.effect(
    NotificationInbox,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const { missingContact } = yield* NotificationConfig
      // The inbox row and what the event leaves behind are one statement: the insert reads the inbox's, so a
      // redelivered event (its inbox row already there) writes nothing, and a failed insert leaves no inbox row.
      const inboxed = (eventId: string, type: string) =>
        sql`inboxed AS (
          INSERT INTO inbox (event_id, type) VALUES (${eventId}, ${type}) ON CONFLICT (event_id) DO NOTHING
          RETURNING event_id)`

      const deadLetter = (delivered: DeliveredEvent, error: string) =>
        Effect.gen(function*() {
          const payload = JSON.stringify({ topic: delivered.topic, key: delivered.key, value: delivered.value })
          const stored = yield* sql`WITH ${inboxed(delivered.eventId, delivered.type)}
            INSERT INTO dead_letters (event_id, type, payload, error, attempts)
            SELECT event_id, ${delivered.type}, ${payload}::jsonb, ${error}, 1 FROM inboxed
            RETURNING event_id`
          if (stored.length === 0) return "duplicate" as const
          yield* countDeadLetter("undecodable_event")
          return "dead_letter" as const
        })

      // The events a consumer handles at once (different orders) record their notifications together: one
      // statement per batch, each event's inbox row and notification as in a statement of its own (a redelivered
      // event, its inbox row already there, writes nothing). A failed statement fails the batch's events, which the
      // consumer delivers again.
      const recordMany = (records: ReadonlyArray<Recorded>) => {
        const column = (f: (record: Recorded) => string | null) => records.map((record) => f(record) ?? "")
        return sql<{ eventId: string }>`WITH input AS (
            SELECT * FROM unnest(
              ${column((r) => r.id)}::text[], ${column((r) => r.eventId)}::text[], ${column((r) => r.type)}::text[],
              ${column((r) => r.orderId)}::text[], ${column((r) => r.recipient)}::text[],
              ${column((r) => r.template)}::text[], ${column((r) => r.status)}::text[],
              ${column((r) => r.subject)}::text[], ${column((r) => r.body)}::text[],
              ${column((r) => r.lastError)}::text[], ${column((r) => r.smsFallback)}::text[],
              ${column((r) => r.traceparent)}::text[]
            ) AS i(id, event_id, type, order_id, recipient, template, status, subject, body, last_error, sms_fallback,
              traceparent)),
          inboxed AS (
            INSERT INTO inbox (event_id, type) SELECT event_id, type FROM input ON CONFLICT (event_id) DO NOTHING
            RETURNING event_id)
          INSERT INTO notifications (id, event_id, order_id, channel, recipient, template, status, subject, body,
            last_error, sms_fallback, traceparent)
          SELECT i.id, i.event_id, i.order_id, 'email', nullif(i.recipient, ''), i.template, i.status, i.subject,
            i.body, nullif(i.last_error, ''), nullif(i.sms_fallback, ''), nullif(i.traceparent, '')
          FROM input i JOIN inboxed USING (event_id)
          RETURNING event_id AS "eventId"`.pipe(
          Effect.map((rows) => {
            const stored = new Set(rows.map((row) => row.eventId))
            return records.map((record) => stored.has(record.eventId))
          })
        )
      }
      const batches = yield* makeKeyedBatches<Recorded, boolean, SqlError.SqlError>({
        maxBatch: 100,
        inFlight: 1,
        run: recordMany,
        // The same event twice in one statement would conflict with itself; the second waits for the next.
        conflicts: (a, b) => a.eventId === b.eventId
      })

      const record = (event: KnownEvent, target: Notification, traceparent: string | null) => {
        const { message, recipient } = target
        const unsendable = recipient._tag === "Unsendable"
        return batches("inbox", {
          id: `ntf_${randomUUID()}`,
          eventId: event.eventId,
          type: event.type,
          orderId: target.orderId,
          recipient: unsendable ? null : recipient.email,
          template: message.template,
          status: unsendable ? "unsendable" : "pending",
          subject: message.subject,
          body: message.body,
          lastError: unsendable ? recipient.reason : null,
          smsFallback: unsendable ? null : recipient.smsFallback ?? null,
          traceparent
        }).pipe(
          Effect.map((stored) =>
            !stored ? "duplicate" as const : unsendable ? "unsendable" as const : "recorded" as const
          )
        )
      }

      const handle = traced("NotificationInbox.handle")(function*(delivered: DeliveredEvent) {
        if (delivered.type !== "order.confirmed" && delivered.type !== "order.failed") return "ignored" as const
        const decoded = yield* Effect.result(decodeEventJson(delivered.value))
        if (decoded._tag === "Failure") return yield* deadLetter(delivered, decoded.failure.message)
        const event = decoded.success
        const target = render(event, missingContact)
        if (target === undefined) return "ignored" as const
        const traceparent = (yield* currentTraceparent) ?? null
        const { message, recipient } = target
        const outcome = yield* record(event, target, traceparent)
        if (outcome === "unsendable" && recipient._tag === "Unsendable") {
          yield* countSent("email", "unsendable")
          yield* Effect.logWarning("order notification not sendable", recipient.reason).pipe(
            Effect.annotateLogs({ order_id: target.orderId, event_id: event.eventId, template: message.template })
          )
        }
        return outcome
      })
      return NotificationInbox.of({ handle })
    })
  )
}
