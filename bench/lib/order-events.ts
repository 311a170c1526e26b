/**
 * Watches the platform's own order and payment events, the way any consumer does: a consumer group of its own on
 * the platform's transport (the PostgreSQL event log, or Kafka when the platform runs on it), read from the
 * platform processes' settings. The order benchmark learns when each order was confirmed from `occurredAt` of its
 * `order.confirmed` event (stamped by the order service when the confirmation committed), instead of asking the
 * gateway for every order.
 *
 * On the event log, the group starts at the head of the log and its offset row is deleted at the end, so it never
 * holds back retention. On Kafka a new group reads the topics from the beginning; old events are skipped by id.
 */
import { PgClient } from "@effect/sql-pg"
import { Topics } from "@shop/domain/EventEnvelope"
import { decodeEventJson, type KnownEvent } from "@shop/domain/Events"
import { EventBus } from "@shop/service-defaults/events/EventBus"
import * as KafkaEventBus from "@shop/service-defaults/events/KafkaEventBus"
import * as PgEventLog from "@shop/service-defaults/events/PgEventLog"
import { ConfigProvider, DateTime, Effect, Fiber, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import type { Platform } from "./platform.ts"

export interface SeenEvent {
  readonly event: KnownEvent
  /** When the platform says it happened (epoch milliseconds). */
  readonly occurredAt: number
  /** When this watcher received it (epoch milliseconds). */
  readonly receivedAt: number
}

export interface EventWatcher {
  readonly transport: string
  /** Events that did not decode (another version, garbage): counted, never guessed at. */
  readonly undecodable: () => number
  readonly stop: () => Promise<void>
}

const now = () => performance.timeOrigin + performance.now()

export const watchOrderEvents = async (
  platform: Platform,
  onEvent: (seen: SeenEvent) => void
): Promise<EventWatcher> => {
  const setting = (name: string) => process.env[name] ?? platform.setting("order", name)
  const group = `bench-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
  let undecodable = 0
  const handler = (record: { readonly value: string }) =>
    decodeEventJson(record.value).pipe(
      Effect.match({
        onFailure: () => void undecodable++,
        onSuccess: (event) =>
          onEvent({ event, occurredAt: DateTime.toEpochMillis(event.occurredAt), receivedAt: now() })
      })
    )
  const subscription = EventBus.use((bus) =>
    bus.subscribe({ group, topics: [Topics.orders, Topics.payments], handler })
  )

  const brokers = setting("KAFKA_BROKERS")
  let program: Effect.Effect<unknown, unknown>
  let transport: string
  if (brokers) {
    transport = `Kafka ${brokers}, group ${group}`
    program = subscription.pipe(
      Effect.provide(KafkaEventBus.layer),
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ KAFKA_BROKERS: brokers })))
    )
  } else {
    const url = setting("EVENT_LOG_URL")
    if (url === undefined) throw new Error("the order service has no EVENT_LOG_URL or KAFKA_BROKERS: is it running?")
    const listen = Number(setting("EVENT_LOG_POOL_MAX") ?? 4) > 1
    transport = `event log ${new URL(url).host}${new URL(url).pathname}, group ${group}`
    program = Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`INSERT INTO event_log_offsets (group_id, committed_seq)
        SELECT ${group}, coalesce(max(seq), 0) FROM event_log`
      yield* Effect.addFinalizer(() => Effect.ignore(sql`DELETE FROM event_log_offsets WHERE group_id = ${group}`))
      return yield* subscription.pipe(
        Effect.provide(PgEventLog.layerNoDeps({ pollInterval: "50 millis", listen, batchSize: 1000 }))
      )
    }).pipe(
      Effect.scoped,
      Effect.provide(
        Layer.orDie(
          PgClient.layer({ url: Redacted.make(url), maxConnections: listen ? 2 : 1, applicationName: "bench" })
        )
      )
    )
  }
  const fiber = Effect.runFork(program.pipe(Effect.tapCause((cause) => Effect.logError("event watcher", cause))))
  return {
    transport,
    undecodable: () => undecodable,
    stop: () => Effect.runPromise(Fiber.interrupt(fiber)).then(() => undefined)
  }
}
