import { NodeHttpClient } from "@effect/platform-node"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, Duration, Effect, Layer, Option } from "effect"
import { HttpClient, type HttpClientError, HttpClientRequest, type HttpClientResponse } from "effect/http"
import { PaymentConfig } from "./PaymentConfig.ts"
import { ProviderDeclined, type ProviderError, ProviderPermanent, ProviderRetryable } from "./ProviderError.ts"

/** A charge as the processor reports it. A declined charge is kept by the processor with status `failed`. */
export interface ProviderCharge {
  readonly id: string
  readonly status: "succeeded" | "failed"
  readonly amount: number
  readonly failureCode: string | undefined
  /** What has been refunded of it so far. */
  readonly amountRefunded?: number | undefined
  /** The order it was made for (the charge's `order_id`). */
  readonly orderId?: string | undefined
  readonly currency?: string | undefined
  readonly paymentMethod?: string | undefined
  /** When the processor created it, unix seconds. */
  readonly created?: number | undefined
}

/** A page of the processor's charges created in a time window, newest first. */
export interface ChargePage {
  readonly charges: ReadonlyArray<ProviderCharge>
  readonly hasMore: boolean
}

/** Which charges to list: created in `[from, until)` (unix seconds), after `startingAfter`. */
export interface ChargeWindow {
  readonly from: number
  readonly until: number
  readonly startingAfter?: string | undefined
  readonly limit: number
}

export interface ProviderRefund {
  readonly id: string
  readonly amount: number
}

export interface ChargeRequest {
  readonly orderId: string
  readonly amountCents: number
  readonly currency: string
  readonly paymentMethod: string
  /** Derived from the order, never from the caller's key: see PaymentKeys. */
  readonly idempotencyKey: string
}

export interface RefundRequest {
  readonly chargeId: string
  readonly amountCents: number
  readonly idempotencyKey: string
}

/** The card processor port: one attempt per call; timeouts, retries and the breaker are GuardedGateway's. */
export class PaymentGateway extends Context.Service<PaymentGateway, {
  readonly charge: (request: ChargeRequest) => Effect.Effect<ProviderCharge, ProviderError>
  readonly refund: (request: RefundRequest) => Effect.Effect<ProviderRefund, ProviderError>
  /** The charge created with this idempotency key; None when the processor has not (yet) processed one. */
  readonly lookupByIdempotencyKey: (key: string) => Effect.Effect<Option.Option<ProviderCharge>, ProviderError>
  /** A charge by its id; None when the processor has none by that id. */
  readonly getCharge: (id: string) => Effect.Effect<Option.Option<ProviderCharge>, ProviderError>
  /** The processor's own books: one page of the charges created in a time window. */
  readonly listCharges: (window: ChargeWindow) => Effect.Effect<ChargePage, ProviderError>
}>()("payment/PaymentGateway") {
  /** The HTTP adapter to the Stripe-like processor (the simulator in development). */
  static readonly layerHttp = Layer.effect(
    PaymentGateway,
    Effect.gen(function*() {
      const { providerUrl } = yield* PaymentConfig
      const client = yield* HttpClient.HttpClient
      const send = (request: HttpClientRequest.HttpClientRequest) =>
        client.execute(request).pipe(
          Effect.mapError(fromTransport),
          Effect.flatMap((response) =>
            Effect.map(readJson(response), (body) => ({ status: response.status, body, response }))
          )
        )

      const charge = traced("PaymentGateway.charge")(function*(request: ChargeRequest) {
        const reply = yield* send(
          HttpClientRequest.post(`${providerUrl}/v1/charges`).pipe(
            HttpClientRequest.setHeader("idempotency-key", request.idempotencyKey),
            HttpClientRequest.bodyJsonUnsafe({
              amount: request.amountCents,
              currency: request.currency.toLowerCase(),
              payment_method: request.paymentMethod,
              order_id: request.orderId
            })
          )
        )
        if (reply.status === 200) return toCharge(reply.body)
        return yield* classify(reply.status, reply.body, reply.response)
      })

      const refund = traced("PaymentGateway.refund")(function*(request: RefundRequest) {
        const reply = yield* send(
          HttpClientRequest.post(`${providerUrl}/v1/refunds`).pipe(
            HttpClientRequest.setHeader("idempotency-key", request.idempotencyKey),
            HttpClientRequest.bodyJsonUnsafe({ charge: request.chargeId, amount: request.amountCents })
          )
        )
        if (reply.status === 200) return { id: String(reply.body?.id), amount: Number(reply.body?.amount) }
        return yield* classify(reply.status, reply.body, reply.response)
      })

      const lookupByIdempotencyKey = traced("PaymentGateway.lookupByIdempotencyKey")(function*(key: string) {
        const reply = yield* send(
          HttpClientRequest.get(`${providerUrl}/v1/charges`).pipe(HttpClientRequest.setUrlParam("idempotency_key", key))
        )
        if (reply.status === 200) return Option.some(toCharge(reply.body))
        if (reply.status === 404 && reply.body?.error?.code === "resource_missing") return Option.none()
        return yield* classify(reply.status, reply.body, reply.response)
      })

      const getCharge = traced("PaymentGateway.getCharge")(function*(id: string) {
        const reply = yield* send(HttpClientRequest.get(`${providerUrl}/v1/charges/${encodeURIComponent(id)}`))
        if (reply.status === 200) return Option.some(toCharge(reply.body))
        if (reply.status === 404 && reply.body?.error?.code === "resource_missing") return Option.none()
        return yield* classify(reply.status, reply.body, reply.response)
      })

      const listCharges = traced("PaymentGateway.listCharges")(function*(window: ChargeWindow) {
        const reply = yield* send(
          HttpClientRequest.get(`${providerUrl}/v1/charges`).pipe(
            HttpClientRequest.setUrlParams({
              "created[gte]": String(window.from),
              "created[lt]": String(window.until),
              limit: String(window.limit),
              ...(window.startingAfter === undefined ? {} : { starting_after: window.startingAfter })
            })
          )
        )
        if (reply.status !== 200) return yield* classify(reply.status, reply.body, reply.response)
        const data: ReadonlyArray<unknown> = Array.isArray(reply.body?.data) ? reply.body.data : []
        return { charges: data.map(toCharge), hasMore: reply.body?.has_more === true } satisfies ChargePage
      })

      return PaymentGateway.of({ charge, refund, lookupByIdempotencyKey, getCharge, listCharges })
    })
  )

  /** The HTTP adapter on a keep-alive undici client. */
  static readonly layer = PaymentGateway.layerHttp.pipe(Layer.provide(NodeHttpClient.layerUndici))
}

const fromTransport = (error: HttpClientError.HttpClientError): ProviderRetryable =>
  new ProviderRetryable({ kind: "connection", detail: error.message })

// A body that is not JSON (e.g. a proxy's HTML error page) still has a status worth classifying.
const readJson = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<any, ProviderRetryable> =>
  response.text.pipe(
    Effect.mapError(fromTransport),
    Effect.map((text) => {
      try {
        return text === "" ? undefined : JSON.parse(text)
      } catch {
        return undefined
      }
    })
  )

const toCharge = (body: any): ProviderCharge => ({
  id: String(body?.id),
  status: body?.status === "succeeded" ? "succeeded" : "failed",
  amount: Number(body?.amount),
  failureCode: typeof body?.failure_code === "string" ? body.failure_code : undefined,
  amountRefunded: typeof body?.amount_refunded === "number" ? body.amount_refunded : undefined,
  orderId: typeof body?.order_id === "string" ? body.order_id : undefined,
  currency: typeof body?.currency === "string" ? body.currency : undefined,
  paymentMethod: typeof body?.payment_method === "string" ? body.payment_method : undefined,
  created: typeof body?.created === "number" ? body.created : undefined
})

const retryAfterOf = (response: HttpClientResponse.HttpClientResponse): Duration.Duration | undefined => {
  const value = response.headers["retry-after"]
  const seconds = value === undefined ? Number.NaN : Number(value)
  return Number.isFinite(seconds) && seconds >= 0 ? Duration.seconds(seconds) : undefined
}

/** Sorts a non-200 reply into declined, retryable or permanent. */
export const classify = (
  status: number,
  body: any,
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<never, ProviderError> => {
  const code = String(body?.error?.code ?? "unknown")
  const message = String(body?.error?.message ?? `HTTP ${status}`)
  if (status === 402 && body?.error?.type === "card_error") {
    return Effect.fail(new ProviderDeclined({ code, message }))
  }
  if (status === 429) {
    return Effect.fail(
      new ProviderRetryable({ kind: "rate_limited", status, retryAfter: retryAfterOf(response), detail: message })
    )
  }
  if (status >= 500) return Effect.fail(new ProviderRetryable({ kind: "server_error", status, detail: message }))
  // The processor is still running the first request with this key: the answer is coming, ask again.
  if (status === 409 && code === "request_in_progress") {
    return Effect.fail(new ProviderRetryable({ kind: "in_progress", status, detail: message }))
  }
  return Effect.fail(new ProviderPermanent({ status, code, message }))
}
