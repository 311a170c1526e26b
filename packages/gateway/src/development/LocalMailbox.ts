import { type LocalMail, ServiceUnavailable } from "@shop/domain"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Config, Context, Duration, Effect, Layer, Schema } from "effect"
import { HttpClient, HttpClientResponse } from "effect/http"

const MailSummary = Schema.Struct({
  id: Schema.String,
  from: Schema.String,
  to: Schema.Array(Schema.String),
  subject: Schema.String,
  receivedAt: Schema.String
})
const MailList = Schema.Struct({ data: Schema.Array(MailSummary) })
const MailWithRaw = Schema.Struct({ ...MailSummary.fields, raw: Schema.String })

const decodeQuotedPrintable = (text: string) =>
  new TextDecoder().decode(
    Uint8Array.from(
      text.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})|[\s\S]/gi, (all, hex: string | undefined) =>
        hex === undefined ? all : String.fromCharCode(Number.parseInt(hex, 16))),
      (char) =>
        char.charCodeAt(0)
    )
  )

/** The text of a single-part mail: its body after the headers, with its transfer encoding undone. */
export const mailText = (raw: string): string => {
  const split = raw.search(/\r?\n\r?\n/)
  if (split === -1) return ""
  const head = raw.slice(0, split).replace(/\r?\n[ \t]+/g, " ")
  const body = raw.slice(split).replace(/^\r?\n\r?\n/, "")
  const encoding = /^content-transfer-encoding:\s*([\w-]+)/im.exec(head)?.[1]?.toLowerCase()
  if (encoding === "quoted-printable") return decodeQuotedPrintable(body)
  if (encoding === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8")
  return body
}

/**
 * The embedded mode's local mailbox (the notification service's SMTP sink, `GET /mail` on NOTIFICATION_HTTP_URL),
 * read by the development API so the storefront can link an order to its confirmation mail. With a real SMTP
 * server (`SMTP_URL`) there is no local mailbox, and lookups fail with `ServiceUnavailable`.
 */
export class LocalMailbox extends Context.Service<LocalMailbox, {
  /** The mails whose subject names `orderId`, oldest first. */
  readonly aboutOrder: (orderId: string) => Effect.Effect<ReadonlyArray<LocalMail>, ServiceUnavailable>
}>()("gateway/LocalMailbox") {
  static readonly layer = Layer.effect(
    LocalMailbox,
    Effect.gen(function*() {
      const baseUrl = yield* Config.String("NOTIFICATION_HTTP_URL").pipe(Config.withDefault("http://127.0.0.1:8083"))
      const client = (yield* HttpClient.HttpClient).pipe(HttpClient.filterStatusOk)
      const unavailable = (cause: unknown) =>
        new ServiceUnavailable({ service: "mailbox", detail: `the local mailbox did not answer: ${String(cause)}` })
      const get = <A>(path: string, schema: Schema.Codec<A, any>) =>
        client.get(`${baseUrl}${path}`).pipe(
          Effect.flatMap(HttpClientResponse.schemaBodyJson(schema)),
          Effect.timeout(Duration.seconds(2)),
          Effect.mapError(unavailable)
        )
      return LocalMailbox.of({
        aboutOrder: traced("LocalMailbox.aboutOrder")(function*(orderId: string) {
          const { data } = yield* get("/mail", MailList)
          const matching = data.filter((mail) => mail.subject.split(/[\s:,]+/).includes(orderId))
          return yield* Effect.forEach(
            matching,
            (summary) =>
              get(`/mail/${encodeURIComponent(summary.id)}`, MailWithRaw).pipe(Effect.map((mail) => ({
                id: mail.id,
                subject: mail.subject,
                from: mail.from,
                to: mail.to,
                received_at: mail.receivedAt,
                text: mailText(mail.raw)
              })))
          )
        })
      })
    })
  )
}
