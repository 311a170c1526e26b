import { describe, it } from "@effect/vitest"
import * as KafkaMockCluster from "@shop/kafka-mock"
import { Effect, Layer } from "effect"
import * as KafkaEventBus from "../../src/events/KafkaEventBus.ts"
import { eventBusContract } from "./EventBusContract.ts"

/** Each test gets a fresh three-broker mock cluster (librdkafka's, on loopback), torn down with the test's scope. */
const onMockCluster = Layer.unwrap(Effect.map(
  KafkaMockCluster.make(3),
  (cluster) =>
    KafkaEventBus.layerConfig({
      clientId: "contract",
      brokers: [...cluster.brokers],
      timings: KafkaMockCluster.testTimings
    })
))

const unavailable = KafkaMockCluster.unavailable()
if (unavailable === undefined) {
  eventBusContract("Kafka (librdkafka mock cluster)", onMockCluster)
} else {
  // Only off CI, on a machine without gcc or librdkafka-dev: the skip names what is missing in every run's summary.
  // Under CI=true `unavailable()` is always undefined, so a missing library fails the suite instead.
  describe("EventBus contract: Kafka (librdkafka mock cluster)", () => it.skip(unavailable, () => {}))
}

// The same contract against a real cluster when one is given, e.g. the compose file's (`docker compose up kafka`).
const brokers = process.env["KAFKA_BROKERS"] ?? ""
if (brokers !== "") {
  eventBusContract(
    `Kafka (${brokers})`,
    KafkaEventBus.layerConfig({ clientId: "contract", brokers: brokers.split(",") })
  )
}
