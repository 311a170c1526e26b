import { NodeHttpServer } from "@effect/platform-node"
import { Config, Effect, Layer, Option } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { SqlClient } from "effect/sql"
import { createServer } from "node:http"
import { NotificationConfig } from "./NotificationConfig.ts"
import { SmtpSink } from "./SmtpSink.ts"

const json = (status: number, body: unknown) => HttpServerResponse.jsonUnsafe(body, { status })

const routes = (sink: Option.Option<SmtpSink["Service"]>) =>
  HttpRouter.use(Effect.fnUntraced(function*(router) {
    const sql = yield* SqlClient.SqlClient
    yield* router.add(
      "GET",
      "/notifications",
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        const orderId = new URL(request.url, "http://localhost").searchParams.get("order_id")
        if (orderId === null || orderId === "") return json(400, { error: "order_id is required" })
        const rows = yield* sql`
          SELECT id, event_id, order_id, channel, recipient, template, status, attempts, last_error, created_at,
            sent_at, subject FROM notifications WHERE order_id = ${orderId} ORDER BY created_at, channel`
        return json(200, { data: rows })
      }).pipe(Effect.catchCause(() => Effect.succeed(json(500, { error: "query failed" }))))
    )
    if (Option.isNone(sink)) {
      yield* router.add("GET", "/mail", Effect.succeed(json(404, { error: "SMTP_URL is set: no local mail sink" })))
      return
    }
    const mailbox = sink.value
    yield* router.add(
      "GET",
      "/mail",
      Effect.map(mailbox.list, (mails) => json(200, { data: mails.map(({ raw: _raw, ...summary }) => summary) }))
    )
    yield* router.add(
      "GET",
      "/mail/:id",
      Effect.gen(function*() {
        const { id } = yield* HttpRouter.params
        const mail = yield* mailbox.get(id ?? "")
        return mail === undefined ? json(404, { error: "no such mail" }) : json(200, mail)
      })
    )
  }))

/**
 * The notification service's small HTTP API on `NOTIFICATION_HTTP_HOST:NOTIFICATION_HTTP_PORT` (default
 * `127.0.0.1:8083`; it has no authentication, so it stays on loopback unless opened): delivery records by order
 * (`GET /notifications?order_id=`), and in embedded mode the local mail box (`GET /mail`, `GET /mail/:id`).
 */
export const NotificationHttpLive = Layer.unwrap(Effect.gen(function*() {
  const config = yield* NotificationConfig
  const host = yield* Config.String("NOTIFICATION_HTTP_HOST").pipe(Config.withDefault("127.0.0.1"))
  const sink = yield* Effect.serviceOption(SmtpSink)
  return HttpRouter.serve(routes(sink), { disableLogger: true, disableListenLog: true }).pipe(
    Layer.provide(NodeHttpServer.layer(createServer, { port: config.httpPort, host }))
  )
}))
