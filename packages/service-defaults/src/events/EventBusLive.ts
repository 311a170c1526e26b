import { Config, Effect, Layer } from "effect"
import type { EventBus } from "./EventBus.ts"
import * as KafkaEventBus from "./KafkaEventBus.ts"
import * as PgEventLog from "./PgEventLog.ts"

type Transport = Layer.Layer<
  EventBus,
  Layer.Error<typeof KafkaEventBus.layer> | Layer.Error<typeof PgEventLog.layer>
>

/** The transport the configuration picks: `kafka` when `KAFKA_BROKERS` is set, else `event_log`. */
export const configuredTransport = Effect.map(
  Config.String("KAFKA_BROKERS").pipe(Config.withDefault("")),
  (brokers): "kafka" | "event_log" => (brokers === "" ? "event_log" : "kafka")
)

/** Kafka when `KAFKA_BROKERS` is set, else the PostgreSQL event log at `EVENT_LOG_URL`: configuration, not a fork. */
export const EventBusLive = Layer.unwrap(Effect.gen(function*() {
  const transport: Transport = (yield* configuredTransport) === "event_log" ? PgEventLog.layer : KafkaEventBus.layer
  return transport
}))
