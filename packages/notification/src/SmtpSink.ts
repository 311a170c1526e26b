import { Context, Effect, Layer } from "effect"
import { SMTPServer } from "smtp-server"

/** A mail the sink received. */
export interface ReceivedMail {
  readonly id: string
  readonly from: string
  readonly to: ReadonlyArray<string>
  readonly subject: string
  readonly messageId: string
  readonly receivedAt: string
  readonly raw: string
}

const headerOf = (raw: string, name: string): string => {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? ""
  const unfolded = head.replace(/\r?\n[ \t]+/g, " ")
  const line = unfolded.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
  return line === undefined ? "" : line.slice(name.length + 1).trim()
}

/** The largest mail the sink accepts; larger ones are refused by the SMTP server (552). */
const maxMailBytes = 1_048_576

/**
 * A local SMTP server that keeps what it receives in memory and logs one line per mail: the embedded mode's mail
 * box (GET /mail), and the real SMTP server of the tests. Accepts any sender, no TLS, no authentication; binds to
 * loopback. Bounded: it keeps the last `capacity` mails (1,000 by default), each at most 1 MiB, so a platform left
 * running for weeks does not grow without end.
 */
export class SmtpSink extends Context.Service<SmtpSink, {
  readonly port: number
  /** How many SMTP connections clients have opened to the sink so far. */
  readonly connections: Effect.Effect<number>
  readonly list: Effect.Effect<ReadonlyArray<ReceivedMail>>
  readonly get: (id: string) => Effect.Effect<ReceivedMail | undefined>
}>()("@shop/notification/SmtpSink") {
  static readonly layer = (options: { readonly port: number; readonly host?: string; readonly capacity?: number }) =>
    Layer.effect(
      SmtpSink,
      Effect.gen(function*() {
        const mails: Array<ReceivedMail> = []
        const capacity = Math.max(1, options.capacity ?? 1_000)
        let received = 0
        let connections = 0
        const context = yield* Effect.context<never>()
        const log = (mail: ReceivedMail) =>
          Effect.runForkWith(context)(
            Effect.logInfo("mail received", { id: mail.id, to: mail.to, subject: mail.subject })
          )
        const server = new SMTPServer({
          authOptional: true,
          disabledCommands: ["STARTTLS", "AUTH"],
          logger: false,
          size: maxMailBytes,
          onConnect(_session, callback) {
            connections++
            callback()
          },
          onData(stream, session, callback) {
            const chunks: Array<Buffer> = []
            stream.on("data", (chunk: Buffer) => chunks.push(chunk))
            stream.on("end", () => {
              if (stream.sizeExceeded) {
                return callback(Object.assign(new Error("message too large"), { responseCode: 552 }))
              }
              const raw = Buffer.concat(chunks).toString("utf8")
              const mail: ReceivedMail = {
                id: `mail_${++received}`,
                from: session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address,
                to: session.envelope.rcptTo.map((r) => r.address),
                subject: headerOf(raw, "Subject"),
                messageId: headerOf(raw, "Message-ID"),
                receivedAt: new Date().toISOString(),
                raw
              }
              mails.push(mail)
              if (mails.length > capacity) mails.splice(0, mails.length - capacity)
              log(mail)
              callback()
            })
          }
        })
        const port = yield* Effect.acquireRelease(
          Effect.callback<number, Error>((resume) => {
            server.once("error", (error) => resume(Effect.fail(error)))
            server.listen(options.port, options.host ?? "127.0.0.1", () => {
              const address = server.server.address()
              resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : options.port))
            })
          }),
          () => Effect.callback<void>((resume) => server.close(() => resume(Effect.void)))
        )
        return SmtpSink.of({
          port,
          connections: Effect.sync(() => connections),
          list: Effect.sync(() => [...mails]),
          get: (id) => Effect.sync(() => mails.find((m) => m.id === id))
        })
      })
    )
}
