import { Config, Duration, Effect, Option, Redacted } from "effect"
import { refuseInProduction } from "../UnsafeConfiguration.ts"

/**
 * Consumer group timings. The client's defaults suit a real cluster; tests shorten them, since a group waits up to a
 * session timeout for a member that left. `rebalanceTimeout` is also the longest a handler may hold a batch
 * (librdkafka's max.poll.interval.ms): past it the batch is abandoned and delivered again.
 */
export interface ConsumerTimings {
  readonly sessionTimeout?: number | undefined
  readonly rebalanceTimeout?: number | undefined
  readonly heartbeatInterval?: number | undefined
  readonly maxWaitTimeInMs?: number | undefined
}

export type SaslMechanism = "plain" | "scram-sha-256" | "scram-sha-512"

/** How to reach a real cluster: TLS (with the system's CAs unless a CA file is given) and SASL. */
export interface KafkaSecurity {
  readonly tls: boolean
  readonly caLocation?: string | undefined
  readonly certificateLocation?: string | undefined
  readonly keyLocation?: string | undefined
  readonly keyPassword?: Redacted.Redacted | undefined
  readonly sasl?: {
    readonly mechanism: SaslMechanism
    readonly username: string
    readonly password: Redacted.Redacted
  } | undefined
}

/** Log levels of the client's own logger, forwarded into the service's JSON logs. */
export type KafkaLogLevel = "nothing" | "error" | "warn" | "info" | "debug"

export interface KafkaSettings {
  readonly clientId: string
  readonly brokers: ReadonlyArray<string>
  readonly security?: KafkaSecurity | undefined
  readonly timings?: ConsumerTimings | undefined
  /**
   * How long the producer keeps retrying one message before its publish fails (librdkafka's message.timeout.ms).
   * The outbox relay waits that long at most; the rows then stay pending and are published again later.
   */
  readonly deliveryTimeout?: Duration.Duration | undefined
  readonly logLevel?: KafkaLogLevel | undefined
}

const optional = <A>(config: Config.Config<A>) => config.pipe(Config.option, Config.map(Option.getOrUndefined))

/**
 * `KAFKA_SSL`, `KAFKA_SSL_CA_LOCATION`, `KAFKA_SSL_CERTIFICATE_LOCATION`, `KAFKA_SSL_KEY_LOCATION`,
 * `KAFKA_SSL_KEY_PASSWORD`, `KAFKA_SASL_MECHANISM`, `KAFKA_SASL_USERNAME`, `KAFKA_SASL_PASSWORD`. SASL PLAIN sends
 * the password as it is: without TLS a production service refuses to start with it.
 */
const SecurityConfig = Effect.gen(function*() {
  const tls = yield* Config.Boolean("KAFKA_SSL").pipe(Config.withDefault(false))
  const mechanism = yield* optional(
    Config.Literals(["plain", "scram-sha-256", "scram-sha-512"], "KAFKA_SASL_MECHANISM")
  )
  const sasl = mechanism === undefined ? undefined : {
    mechanism,
    username: yield* Config.String("KAFKA_SASL_USERNAME"),
    password: yield* Config.Redacted("KAFKA_SASL_PASSWORD")
  }
  yield* refuseInProduction(
    sasl?.mechanism === "plain" && !tls,
    "KAFKA_SASL_MECHANISM=plain",
    "without KAFKA_SSL=true the password travels in clear"
  )
  return {
    tls,
    caLocation: yield* optional(Config.String("KAFKA_SSL_CA_LOCATION")),
    certificateLocation: yield* optional(Config.String("KAFKA_SSL_CERTIFICATE_LOCATION")),
    keyLocation: yield* optional(Config.String("KAFKA_SSL_KEY_LOCATION")),
    keyPassword: yield* optional(Config.Redacted("KAFKA_SSL_KEY_PASSWORD")),
    sasl
  } satisfies KafkaSecurity
})

const optionalMillis = (name: string) => optional(Config.Int(name))

/**
 * The Kafka settings from the environment: `KAFKA_BROKERS` (comma-separated host:port), `KAFKA_CLIENT_ID`, the
 * security settings above, `KAFKA_DELIVERY_TIMEOUT` (30 seconds), `KAFKA_LOG_LEVEL` (warn), and the consumer timings
 * `KAFKA_SESSION_TIMEOUT_MS`, `KAFKA_REBALANCE_TIMEOUT_MS`, `KAFKA_HEARTBEAT_INTERVAL_MS`, `KAFKA_MAX_WAIT_MS`.
 */
export const KafkaSettingsConfig = Effect.gen(function*() {
  const brokers = yield* Config.String("KAFKA_BROKERS")
  return {
    clientId: yield* Config.String("KAFKA_CLIENT_ID").pipe(Config.withDefault("shop-mesh")),
    brokers: brokers.split(",").map((b) => b.trim()).filter((b) => b !== ""),
    security: yield* SecurityConfig,
    timings: {
      sessionTimeout: yield* optionalMillis("KAFKA_SESSION_TIMEOUT_MS"),
      rebalanceTimeout: yield* optionalMillis("KAFKA_REBALANCE_TIMEOUT_MS"),
      heartbeatInterval: yield* optionalMillis("KAFKA_HEARTBEAT_INTERVAL_MS"),
      maxWaitTimeInMs: yield* optionalMillis("KAFKA_MAX_WAIT_MS")
    },
    deliveryTimeout: yield* Config.Duration("KAFKA_DELIVERY_TIMEOUT").pipe(Config.withDefault(Duration.seconds(30))),
    logLevel: yield* Config.Literals(["nothing", "error", "warn", "info", "debug"], "KAFKA_LOG_LEVEL").pipe(
      Config.withDefault("warn" as const)
    )
  } satisfies KafkaSettings
})
