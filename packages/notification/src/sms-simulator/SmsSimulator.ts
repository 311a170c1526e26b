import { NodeHttpServer } from "@effect/platform-node"
import { Context, Effect, Layer, Random, Ref, Schema } from "effect"
import { HttpRouter, HttpServer, type HttpServerError, HttpServerRequest, HttpServerResponse } from "effect/http"
import { randomUUID } from "node:crypto"
import { createServer } from "node:http"

/** A message the simulated provider accepted. */
export interface SmsMessage {
  readonly id: string
  readonly to: string
  readonly body: string
  readonly status: "delivered"
  readonly createdAt: string
}

/** Injected faults: `failNext` rejects the next n sends with 503, `failRate` a random share of them. */
export const SmsFaults = Schema.Struct({
  failNext: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  failRate: Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 }))
})
export type SmsFaults = typeof SmsFaults.Type
const noFaults: SmsFaults = { failNext: 0, failRate: 0 }

const SendRequest = Schema.Struct({ to: Schema.String.check(Schema.isMinLength(3)), body: Schema.String })

const json = (status: number, body: unknown) => HttpServerResponse.jsonUnsafe(body, { status })

const routes = (messages: Ref.Ref<ReadonlyArray<SmsMessage>>, faults: Ref.Ref<SmsFaults>) =>
  HttpRouter.use(Effect.fnUntraced(function*(router) {
    const body = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => request.json)
    yield* router.add(
      "POST",
      "/v1/messages",
      Effect.gen(function*() {
        const roll = yield* Random.next
        const fault = yield* Ref.modify(
          faults,
          (f): [boolean, SmsFaults] =>
            f.failNext > 0 ? [true, { ...f, failNext: f.failNext - 1 }] : [roll < f.failRate, f]
        )
        if (fault) return json(503, { error: { type: "provider_unavailable", message: "injected fault" } })
        const request = yield* Effect.flatMap(body, Schema.decodeUnknownEffect(SendRequest)).pipe(Effect.option)
        if (request._tag === "None") return json(400, { error: { type: "invalid_request", message: "to and body" } })
        const message: SmsMessage = {
          id: `sms_${randomUUID()}`,
          to: request.value.to,
          body: request.value.body,
          status: "delivered",
          createdAt: new Date().toISOString()
        }
        yield* Ref.update(messages, (all) => [...all, message])
        return json(201, message)
      })
    )
    yield* router.add("GET", "/v1/messages", Effect.map(Ref.get(messages), (data) => json(200, { data })))
    yield* router.add("GET", "/admin/faults", Effect.map(Ref.get(faults), (f) => json(200, f)))
    yield* router.add(
      "PUT",
      "/admin/faults",
      Effect.flatMap(body, Schema.decodeUnknownEffect(SmsFaults)).pipe(
        Effect.tap((f) => Ref.set(faults, f)),
        Effect.match({ onSuccess: (f) => json(200, f), onFailure: () => json(400, { error: "failNext, failRate" }) })
      )
    )
    yield* router.add(
      "POST",
      "/admin/reset",
      Effect.andThen(Ref.set(messages, []), Ref.set(faults, noFaults)).pipe(Effect.as(json(200, { status: "reset" })))
    )
    yield* router.add("GET", "/healthz", Effect.succeed(json(200, { status: "ok", service: "sms-simulator" })))
  }))

/**
 * A small SMS provider over HTTP, standing in for a real one in development and tests: `POST /v1/messages`
 * `{to, body}`, its ledger at `GET /v1/messages`, and fault injection at `PUT /admin/faults`.
 */
export class SmsSimulator extends Context.Service<SmsSimulator, {
  readonly baseUrl: string
}>()("@shop/notification/SmsSimulator") {
  static readonly layer = (
    options: { readonly port?: number; readonly host?: string } = {}
  ): Layer.Layer<SmsSimulator, HttpServerError.ServeError> =>
    Layer.unwrap(Effect.gen(function*() {
      const messages = yield* Ref.make<ReadonlyArray<SmsMessage>>([])
      const faults = yield* Ref.make(noFaults)
      const describe = Layer.effect(
        SmsSimulator,
        Effect.map(HttpServer.HttpServer, ({ address }) =>
          SmsSimulator.of({ baseUrl: `http://127.0.0.1:${"port" in address ? address.port : options.port}` }))
      )
      return Layer.merge(
        HttpRouter.serve(routes(messages, faults), { disableLogger: true, disableListenLog: true }),
        describe
      ).pipe(Layer.provide(NodeHttpServer.layer(createServer, {
        port: options.port ?? 8082,
        host: options.host ?? "127.0.0.1"
      })))
    }))
}
