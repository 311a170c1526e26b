import { traced } from "@shop/service-defaults/TracedFunction"
import { refuseInProduction } from "@shop/service-defaults/UnsafeConfiguration"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { createTransport, type Transporter } from "nodemailer"
import SMTPPool from "nodemailer/lib/smtp-pool/index.js"
import SMTPTransport from "nodemailer/lib/smtp-transport/index.js"
import { NotificationConfig } from "./NotificationConfig.ts"
import { SmtpSink } from "./SmtpSink.ts"
import { openSmtpSocket } from "./SmtpSocket.ts"

export class SendError extends Schema.TaggedError<SendError>()("SendError", {
  channel: Schema.String,
  cause: Schema.Defect()
}) {
  override get message() {
    return this.cause instanceof Error ? this.cause.message : `${this.channel} send failed`
  }
}

export interface Mail {
  readonly id: string
  readonly to: string
  readonly subject: string
  readonly text: string
}

/** A pooled SMTP connection is closed and opened again after this many mails. */
const pooledMessages = 1_000

/** Where the mail goes: an `SMTP_URL`, or the local sink. */
type SmtpServer = string | { host: string; port: number; secure: false; ignoreTLS: true }

/**
 * The transport, with pooling on: mails reuse open connections instead of opening one (TCP, greeting, EHLO, and
 * QUIT at the end) per mail, up to `connections` of them (`SMTP_MAX_CONNECTIONS`). A URL that says `pool=` itself
 * keeps its choice and its own settings. Either way the connections are opened with Nagle's algorithm off (see
 * SmtpSocket.ts).
 */
const transportTo = (server: SmtpServer, connections: number): Transporter => {
  if (typeof server !== "string") {
    return createTransport(
      new SMTPPool({
        ...server,
        pool: true,
        maxConnections: connections,
        maxMessages: pooledMessages,
        getSocket: openSmtpSocket
      })
    )
  }
  const url = new URL(server)
  if (!url.searchParams.has("pool")) {
    url.searchParams.set("pool", "true")
    url.searchParams.set("maxConnections", String(connections))
    url.searchParams.set("maxMessages", String(pooledMessages))
  }
  // nodemailer reads `pool` and the rest from the URL's query, which wins over the options beside it.
  return url.searchParams.get("pool") === "false"
    ? createTransport(new SMTPTransport({ url: url.href, getSocket: openSmtpSocket }))
    : createTransport(new SMTPPool({ url: url.href, pool: true, getSocket: openSmtpSocket }))
}

/**
 * Sends email over SMTP with nodemailer, on pooled connections. The notification id is the Message-ID, so a copy
 * can be recognised.
 */
export class Mailer extends Context.Service<Mailer, {
  readonly send: (mail: Mail) => Effect.Effect<void, SendError>
}>()("@shop/notification/Mailer") {
  static readonly make = (server: SmtpServer) =>
    Effect.gen(function*() {
      const config = yield* NotificationConfig
      const transport = yield* Effect.acquireRelease(
        Effect.sync(() => transportTo(server, config.smtpConnections)),
        (t) => Effect.sync(() => t.close())
      )
      return Mailer.of({
        send: traced("Mailer.send", { kind: "client" })(function*(mail: Mail) {
          yield* Effect.tryPromise({
            try: () =>
              transport.sendMail({
                from: config.from,
                to: mail.to,
                subject: mail.subject,
                text: mail.text,
                messageId: `<${mail.id}@shop-mesh.local>`
              }),
            catch: (cause) => new SendError({ channel: "email", cause })
          })
        })
      })
    })

  /**
   * `SMTP_URL` when set; otherwise the local sink, started here, on `SMTP_SINK_PORT`. In production the service
   * refuses to start without `SMTP_URL`: the sink keeps mail in the process, where no customer ever reads it.
   */
  static readonly layer = Layer.unwrap(Effect.gen(function*() {
    const config = yield* NotificationConfig
    if (Option.isSome(config.smtpUrl)) return Layer.effect(Mailer, Mailer.make(config.smtpUrl.value))
    yield* refuseInProduction(
      true,
      "SMTP_URL",
      "unset, so mail would go to the in-process development sink and never reach a customer"
    )
    const sink = SmtpSink.layer({ port: config.smtpSinkPort, capacity: config.smtpSinkCapacity })
    const viaSink = Layer.effect(
      Mailer,
      Effect.flatMap(SmtpSink, ({ port }) =>
        Effect.andThen(
          Effect.logInfo(`no SMTP_URL: mail goes to the local sink on 127.0.0.1:${port} (GET /mail)`),
          Mailer.make({ host: "127.0.0.1", port, secure: false, ignoreTLS: true })
        ))
    )
    return Layer.provideMerge(viaSink, sink)
  }))
}
