import { Config, Effect, Layer } from "effect"
import type { EventBus } from "./EventBus.ts"
import * as KafkaEventBus from "./KafkaEventBus.ts"
import * as PgEventLog from "./PgEventLog.ts"

type Transport = Layer.Layer<
  EventBus,
  Layer.Error<typeof KafkaEventBus.layer> | Layer.Error<typeof PgEventLog.layer>
>

/** Kafka when `KAFKA_BROKERS` is set, else the PostgreSQL event log at `EVENT_LOG_URL`: configuration, not a fork. */
export const EventBusLive = Layer.unwrap(Effect.gen(function*() {
  const brokers = yield* Config.String("KAFKA_BROKERS").pipe(Config.withDefault(""))
  const transport: Transport = brokers === "" ? PgEventLog.layer : KafkaEventBus.layer
  return transport
}))
