import { Config, Effect, Layer } from "effect"
import * as KafkaEventBus from "./KafkaEventBus.ts"
import * as PgEventLog from "./PgEventLog.ts"

/** Kafka when `KAFKA_BROKERS` is set, else the PostgreSQL event log at `EVENT_LOG_URL`: configuration, not a fork. */
export const EventBusLive = Layer.unwrap(Effect.gen(function*() {
  const brokers = yield* Config.String("KAFKA_BROKERS").pipe(Config.withDefault(""))
  return brokers === "" ? PgEventLog.layer : KafkaEventBus.layer
}))
