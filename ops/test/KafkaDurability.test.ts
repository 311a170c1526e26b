import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../", import.meta.url))
const compose = `${root}docker-compose.yml`

/** The broker settings an acknowledged event relies on, as the compose file sets them (its single dev broker). */
const brokerSetting = (text: string, name: string) => new RegExp(`^\\s*${name}:\\s*"?([^"\\n]+)"?`, "m").exec(text)?.[1]

describe("Kafka durability settings in docker-compose.yml", () => {
  it(
    "never elects an out-of-sync leader, and keeps min ISR within the replication",
    () => {
      const text = readFileSync(compose, "utf8")
      assert.strictEqual(brokerSetting(text, "KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE"), "false")
      const replication = Number(brokerSetting(text, "KAFKA_DEFAULT_REPLICATION_FACTOR"))
      const minIsr = Number(brokerSetting(text, "KAFKA_MIN_INSYNC_REPLICAS"))
      assert.isTrue(replication >= 1 && minIsr >= 1)
      // acks=all succeeds only with min.insync.replicas replicas up: a min ISR above the replication blocks every write.
      assert.isAtMost(minIsr, replication)
      // With three or more brokers an acknowledged write must survive one loss.
      if (replication >= 3) assert.isAtLeast(minIsr, 2)
      assert.strictEqual(brokerSetting(text, "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"), String(replication))
    }
  )
})
