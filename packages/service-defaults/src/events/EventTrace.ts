import { Effect, Option, type Tracer } from "effect"
import { Headers, HttpTraceContext } from "effect/http"
import { traceparent } from "../grpc/TraceMetadata.ts"
import type { DeliveredEvent } from "./EventBus.ts"

/**
 * How an event continues the trace of the request that caused it. The event carries a W3C `traceparent` (the
 * outbox row's, then the relay's publish span's); every step that handles the event later (the relay's publish, a
 * consumer's processing, a notification's delivery) runs in a span whose parent is that context, so the request's
 * trace holds them all, across processes and however much later they run.
 */

/** The remote span a `traceparent` names; undefined when there is none or it is malformed. */
export const spanOfTraceparent = (value: string | null | undefined): Tracer.ExternalSpan | undefined =>
  value === undefined || value === null || value === ""
    ? undefined
    : Option.getOrUndefined(HttpTraceContext.fromHeaders(Headers.fromRecordUnsafe({ traceparent: value })))

/** The `traceparent` of the current span, if there is one. */
export const currentTraceparent: Effect.Effect<string | undefined> = Effect.currentSpan.pipe(
  Effect.map(traceparent),
  Effect.orElseSucceed(() => undefined)
)

/**
 * Options of a span that continues the trace of `value` (a traceparent): a child of it when there is one, a new
 * trace otherwise (never a child of whatever long-running loop happens to run the work).
 */
export const continuing = (
  value: string | null | undefined,
  options: { readonly kind: Tracer.SpanKind; readonly attributes?: Record<string, unknown> }
): Tracer.SpanOptions => {
  const parent = spanOfTraceparent(value)
  return parent === undefined ? { ...options, root: true } : { ...options, parent }
}

/**
 * Runs a subscriber's handling of one event in a `process <topic>` consumer span that continues the event's trace.
 * One span per event: its name and attributes say where it is, so it takes no stack trace (a `new Error` per event).
 */
export const processSpan = (event: DeliveredEvent, group: string) => <A, E, R>(handling: Effect.Effect<A, E, R>) =>
  Effect.withSpan(handling, `process ${event.topic}`, {
    ...continuing(event.traceparent, {
      kind: "consumer",
      attributes: {
        "messaging.operation.type": "process",
        "messaging.destination.name": event.topic,
        "messaging.consumer.group.name": group,
        "messaging.message.id": event.eventId,
        "shop.event.type": event.type
      }
    }),
    captureStackTrace: false
  })
