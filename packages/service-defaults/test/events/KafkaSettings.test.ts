import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Redacted } from "effect"
import { KafkaSettingsConfig } from "../../src/events/KafkaSettings.ts"

const settingsFrom = (env: Record<string, string>) =>
  KafkaSettingsConfig.pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env))))

describe("Kafka settings from the environment", () => {
  it.effect("reads brokers, defaults, TLS and SASL", () =>
    Effect.gen(function*() {
      const plain = yield* settingsFrom({ KAFKA_BROKERS: " kafka-1:9092, kafka-2:9092 ,," })
      assert.deepStrictEqual(plain.brokers, ["kafka-1:9092", "kafka-2:9092"])
      assert.strictEqual(plain.clientId, "shop-mesh")
      assert.isFalse(plain.security.tls)
      assert.isUndefined(plain.security.sasl)
      assert.strictEqual(Duration.toMillis(plain.deliveryTimeout), 30_000)
      assert.strictEqual(plain.logLevel, "warn")

      const secured = yield* settingsFrom({
        KAFKA_BROKERS: "kafka:9093",
        KAFKA_SSL: "true",
        KAFKA_SSL_CA_LOCATION: "/etc/kafka/ca.pem",
        KAFKA_SASL_MECHANISM: "scram-sha-512",
        KAFKA_SASL_USERNAME: "shop",
        KAFKA_SASL_PASSWORD: "s3cret",
        KAFKA_SESSION_TIMEOUT_MS: "10000",
        KAFKA_DELIVERY_TIMEOUT: "5 seconds"
      })
      assert.isTrue(secured.security.tls)
      assert.strictEqual(secured.security.caLocation, "/etc/kafka/ca.pem")
      assert.strictEqual(secured.security.sasl?.mechanism, "scram-sha-512")
      assert.strictEqual(Redacted.value(secured.security.sasl!.password), "s3cret")
      assert.strictEqual(secured.timings.sessionTimeout, 10_000)
      assert.strictEqual(Duration.toMillis(secured.deliveryTimeout), 5_000)
    }))

  it.effect("refuses an unknown SASL mechanism, and a mechanism without its credentials", () =>
    Effect.gen(function*() {
      const unknown = yield* Effect.flip(settingsFrom({ KAFKA_BROKERS: "k:9092", KAFKA_SASL_MECHANISM: "gssapi" }))
      assert.strictEqual(unknown._tag, "ConfigError")
      const missing = yield* Effect.flip(settingsFrom({ KAFKA_BROKERS: "k:9092", KAFKA_SASL_MECHANISM: "plain" }))
      assert.strictEqual(missing._tag, "ConfigError")
    }))

  it.effect("in production, refuses SASL PLAIN without TLS (the password would travel in clear)", () =>
    Effect.gen(function*() {
      const plain = {
        KAFKA_BROKERS: "kafka:9092",
        KAFKA_SASL_MECHANISM: "plain",
        KAFKA_SASL_USERNAME: "shop",
        KAFKA_SASL_PASSWORD: "s3cret"
      }
      const refused = yield* Effect.flip(settingsFrom({ ...plain, SHOP_ENV: "production" }))
      assert.strictEqual(refused._tag, "UnsafeConfiguration")
      assert.include(refused.message, "KAFKA_SASL_MECHANISM=plain")
      // over TLS, or on a laptop, it is accepted
      yield* settingsFrom({ ...plain, SHOP_ENV: "production", KAFKA_SSL: "true" })
      yield* settingsFrom(plain)
    }))
})
