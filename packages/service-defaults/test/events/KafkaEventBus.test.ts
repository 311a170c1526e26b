import { Effect, Layer } from "effect"
import * as KafkaEventBus from "../../src/events/KafkaEventBus.ts"
import { eventBusContract } from "./EventBusContract.ts"
import * as KafkaMockCluster from "./kafka-mock/KafkaMockCluster.ts"

/**
 * Short group timings: the mock cluster waits a session timeout for a member that left before it completes the next
 * rebalance, and a disconnect waits for the fetch in flight.
 */
export const testTimings: KafkaEventBus.ConsumerTimings = {
  sessionTimeout: 6_000,
  rebalanceTimeout: 6_000,
  heartbeatInterval: 500,
  maxWaitTimeInMs: 250
}

/** Each test gets a fresh three-broker mock cluster (librdkafka's, on loopback), torn down with the test's scope. */
const onMockCluster = Layer.unwrap(Effect.map(
  KafkaMockCluster.make(3),
  (cluster) => KafkaEventBus.layerConfig({ clientId: "contract", brokers: [...cluster.brokers] }, testTimings)
))

eventBusContract("Kafka (librdkafka mock cluster)", onMockCluster)

// The same contract against a real cluster when one is given, e.g. the compose file's (`docker compose up kafka`).
const brokers = process.env["KAFKA_BROKERS"] ?? ""
if (brokers !== "") {
  eventBusContract(
    `Kafka (${brokers})`,
    KafkaEventBus.layerConfig({ clientId: "contract", brokers: brokers.split(",") })
  )
}
