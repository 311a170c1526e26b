import { isProduction } from "@shop/service-defaults/DeploymentEnvironment"
import { Config, Context, Duration, Effect, Layer, Option, Schema } from "effect"

/** Connections to the SMTP server: at least one, and not so many that a mail server would take it for an attack. */
const SmtpConnections = Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 1, maximum: 64 })))

/** Settings of the notification service, all from the environment with local-development defaults. */
export class NotificationConfig extends Context.Service<NotificationConfig, {
  /** Real SMTP server (`smtp://user:pass@host:587`); when unset, a local sink on `smtpSinkPort` receives the mail. */
  readonly smtpUrl: Option.Option<string>
  readonly smtpSinkPort: number
  /** Mails the local sink keeps (the oldest go first), so that a long-running development platform stays bounded. */
  readonly smtpSinkCapacity: number
  /**
   * SMTP connections kept open to the server, and mails sent at once: each connection carries one mail at a time,
   * and a mail is four or five round trips to the server (MAIL, RCPT, DATA, the message, RSET between mails), so
   * the mails sent per second are about this many divided by those round trips' time.
   */
  readonly smtpConnections: number
  /**
   * What to do with an order event that carries no contact: `derive` a local address from the user id (development
   * only: the mail lands in the local sink or Mailpit), or record it `unsendable` (production: never invent a
   * recipient).
   */
  readonly missingContact: "derive" | "unsendable"
  readonly smsProviderUrl: string
  readonly from: string
  /** Port of the small HTTP API: GET /notifications?order_id=, GET /mail, GET /mail/:id. */
  readonly httpPort: number
  /** Sends per channel before giving up (email then falls back to SMS; SMS goes to the dead letters). */
  readonly maxAttempts: number
  readonly retryBase: Duration.Duration
  /**
   * Non-transactional messages sent to one recipient per rolling hour; more wait for the window. Transactional mail
   * (order confirmed / failed) is never held back by it.
   */
  readonly sendCapPerHour: number
  readonly sendTimeout: Duration.Duration
  readonly pollInterval: Duration.Duration
  /** While nothing is due, the delivery worker polls less and less often, down to this (default: `pollInterval`). */
  readonly maxPollInterval?: Duration.Duration | undefined
}>()("@shop/notification/NotificationConfig") {
  static readonly layer = Layer.effect(
    NotificationConfig,
    Effect.gen(function*() {
      return NotificationConfig.of({
        smtpUrl: yield* Config.String("SMTP_URL").pipe(Config.option),
        smtpSinkPort: yield* Config.Port("SMTP_SINK_PORT").pipe(Config.withDefault(2525)),
        smtpSinkCapacity: yield* Config.Int("SMTP_SINK_CAPACITY").pipe(Config.withDefault(1_000)),
        smtpConnections: yield* Config.schema(SmtpConnections, "SMTP_MAX_CONNECTIONS").pipe(Config.withDefault(8)),
        missingContact: (yield* isProduction) ? "unsendable" : "derive",
        smsProviderUrl: yield* Config.String("SMS_PROVIDER_URL").pipe(Config.withDefault("http://127.0.0.1:8082")),
        from: yield* Config.String("NOTIFICATION_FROM").pipe(Config.withDefault("Shop Mesh <orders@shop-mesh.local>")),
        httpPort: yield* Config.Port("NOTIFICATION_HTTP_PORT").pipe(Config.withDefault(8083)),
        maxAttempts: yield* Config.Int("NOTIFICATION_MAX_ATTEMPTS").pipe(Config.withDefault(5)),
        retryBase: yield* Config.Duration("NOTIFICATION_RETRY_BASE").pipe(Config.withDefault(Duration.seconds(1))),
        sendCapPerHour: yield* Config.Int("NOTIFICATION_CAP_PER_HOUR").pipe(Config.withDefault(20)),
        sendTimeout: yield* Config.Duration("NOTIFICATION_SEND_TIMEOUT").pipe(Config.withDefault(Duration.seconds(10))),
        pollInterval: yield* Config.Duration("NOTIFICATION_POLL").pipe(Config.withDefault(Duration.millis(250))),
        maxPollInterval: yield* Config.Duration("NOTIFICATION_POLL_MAX").pipe(
          Config.option,
          Config.map(Option.getOrUndefined)
        )
      })
    })
  )
}
