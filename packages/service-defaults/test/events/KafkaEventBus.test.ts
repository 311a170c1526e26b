import { describe, it } from "@effect/vitest"
import * as KafkaEventBus from "../../src/events/KafkaEventBus.ts"
import { eventBusContract } from "./EventBusContract.ts"

/**
 * The contract on Kafka, against the cluster at `KAFKA_BROKERS`. librdkafka's mock cluster (`kcat -b x -X
 * test.mock.num.brokers=3 -P -t t`) cannot stand in: kafkajs' idempotent producer asks the controller for a producer
 * id and the mock's metadata names no controller kafkajs knows ("KafkaJSBrokerNotFound: Broker 0 not found in the
 * cached metadata"). The Kafka tests therefore stop at the broker boundary on these machines.
 */
const brokers = process.env["KAFKA_BROKERS"] ?? ""

if (brokers !== "") {
  eventBusContract(
    `Kafka (${brokers})`,
    KafkaEventBus.layerConfig({ clientId: "contract", brokers: brokers.split(",") })
  )
} else {
  describe("EventBus contract: Kafka", () => {
    it.skip("needs a broker: KAFKA_BROKERS=host:port", () => {})
  })
}
