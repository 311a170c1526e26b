/**
 * `npm run kafka:mock [-- --brokers N]`: a Kafka-protocol cluster on loopback for development and CI, without Docker
 * (librdkafka's mock cluster, the one the tests use). Prints one line, `KAFKA_BROKERS=host:port,...`, then runs until
 * Ctrl-C. Topics are created on first use. Everything lives in memory: nothing is kept on disk, and a restart starts
 * empty. It is not a broker for production (no replication, no persistence, no security).
 */
import { NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import * as KafkaMockCluster from "./KafkaMockCluster.ts"

const brokersFlag = process.argv.indexOf("--brokers")
const brokerCount = brokersFlag === -1 ? 3 : Number(process.argv[brokersFlag + 1])
if (!Number.isInteger(brokerCount) || brokerCount < 1 || brokerCount > 9) {
  process.stderr.write("usage: npm run kafka:mock [-- --brokers N]   (N from 1 to 9, default 3)\n")
  process.exit(2)
}

Effect.gen(function*() {
  const cluster = yield* KafkaMockCluster.make(brokerCount)
  process.stdout.write(`KAFKA_BROKERS=${cluster.brokers.join(",")}\n`)
  process.stderr.write(
    `Kafka mock cluster: ${brokerCount} broker(s) on loopback, in memory only (not for production). Ctrl-C stops it.\n`
  )
  return yield* Effect.never
}).pipe(Effect.scoped, NodeRuntime.runMain)
