import { Effect } from "effect"
import { HttpRouter, HttpServerRequest, type HttpServerResponse } from "effect/http"
import { type ApiError, invalidRequest, refundRefused, unrecognizedUrl } from "./ApiError.ts"
import { addLatency, dropConnection, withFaults } from "./FaultInjection.ts"
import { Faults } from "./Faults.ts"
import { fingerprint, IdempotencyStore } from "./IdempotencyStore.ts"
import { type ChargeWindow, Ledger } from "./Ledger.ts"
import { ChargeParams, RefundParams } from "./Model.ts"
import { errorReply, errorResponse, json, reply, toResponse } from "./Reply.ts"
import { decode, idempotencyKey, jsonBody } from "./RequestParsing.ts"

const replayedHeaders = { "idempotent-replayed": "true" }

const listOf = (data: ReadonlyArray<unknown>, hasMore: boolean) => ({
  object: "list",
  data,
  has_more: hasMore,
  url: "/v1/charges"
})

const unixSeconds = (value: string | undefined) =>
  value === undefined ? undefined : /^\d{1,12}$/.test(value) ? Number(value) : Number.NaN

/**
 * Stripe's list parameters: `created[gte]`, `created[lt]` (unix seconds), `limit` (1-100, default 10) and
 * `starting_after` (the last charge id of the previous page). Undefined when none is given (the whole ledger); a
 * message when one is malformed.
 */
const parseWindow = (
  query: Readonly<Record<string, string | ReadonlyArray<string>>>
): ChargeWindow | string | undefined => {
  const gte = unixSeconds(queryParam(query, "created[gte]"))
  const lt = unixSeconds(queryParam(query, "created[lt]"))
  const limitText = queryParam(query, "limit")
  const startingAfter = queryParam(query, "starting_after")
  if (gte === undefined && lt === undefined && limitText === undefined && startingAfter === undefined) return undefined
  if (Number.isNaN(gte) || Number.isNaN(lt)) return "created[gte] and created[lt] are unix timestamps in seconds"
  const limit = limitText === undefined ? 10 : Number(limitText)
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) return "limit must be an integer from 1 to 100"
  return { gte, lt, limit, startingAfter }
}

const queryParam = (query: Readonly<Record<string, string | ReadonlyArray<string>>>, name: string) => {
  const value = query[name]
  return typeof value === "string" ? value : value?.[0]
}

/**
 * The processor's API under `/v1`: charges, refunds, look-ups and the ledger, all subject to injected faults. Any
 * other route is a Stripe-style JSON 404.
 */
export const ApiRoutes = HttpRouter.use(Effect.fnUntraced(function*(router) {
  const ledger = yield* Ledger
  const store = yield* IdempotencyStore
  const faulty = withFaults(yield* Faults)

  /**
   * A POST that moves money. Rejections before execution (missing key, bad body, 409, 422) are not stored. The
   * latency is spent inside the idempotent section, so a concurrent duplicate sees the first request in flight.
   */
  const idempotentPost = <P>(
    endpoint: string,
    parse: (body: unknown) => Effect.Effect<P, ApiError>,
    execute: (params: P, key: string) => Effect.Effect<unknown, ApiError>,
    options: { readonly refusable?: boolean } = {}
  ) =>
    faulty((decision) =>
      Effect.gen(function*() {
        const key = yield* idempotencyKey
        const body = yield* jsonBody
        const params = yield* parse(body)
        // An injected refusal is a rejection before execution: not stored, so the same key works once it is off.
        if (options.refusable === true && decision.refuseRefund) return yield* refundRefused
        const outcome = yield* store.run(
          endpoint,
          key,
          fingerprint(body),
          addLatency(decision).pipe(
            Effect.andThen(execute(params, key)),
            Effect.match({ onSuccess: (value) => reply(200, value), onFailure: errorReply })
          )
        )
        if (outcome.replayed) {
          yield* addLatency(decision)
          return toResponse(outcome.reply, replayedHeaders)
        }
        if (decision.dropAfterCharge) return yield* dropConnection
        return toResponse(outcome.reply)
      }).pipe(Effect.catch((error) => Effect.as(addLatency(decision), errorResponse(error))))
    )

  const lookup = <R>(find: Effect.Effect<unknown, ApiError, R>) =>
    faulty((decision): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R> =>
      addLatency(decision).pipe(
        Effect.andThen(find),
        Effect.match({ onSuccess: (value) => json(200, value), onFailure: errorResponse })
      )
    )

  const pathId = Effect.map(HttpRouter.params, (params) => params.id ?? "")

  const searchCharges = Effect.flatMap(
    HttpServerRequest.ParsedSearchParams,
    (query): Effect.Effect<unknown, ApiError> => {
      const key = queryParam(query, "idempotency_key")
      if (key !== undefined) return ledger.chargeByIdempotencyKey(key)
      const orderId = queryParam(query, "order_id")
      if (orderId !== undefined) {
        return Effect.map(ledger.chargesOfOrder(orderId), (data) => listOf(data, false))
      }
      const window = parseWindow(query)
      if (window === undefined) return Effect.map(ledger.charges, (data) => listOf(data, false))
      if (typeof window === "string") return Effect.fail(invalidRequest(window, { code: "parameter_invalid" }))
      return Effect.map(ledger.chargesCreated(window), ({ data, hasMore }) => listOf(data, hasMore))
    }
  )

  yield* router.add(
    "POST",
    "/v1/charges",
    idempotentPost("POST /v1/charges", decode(ChargeParams), (params, key) => ledger.charge(params, key))
  )
  yield* router.add(
    "POST",
    "/v1/refunds",
    idempotentPost("POST /v1/refunds", decode(RefundParams), (params) => ledger.refund(params), { refusable: true })
  )
  yield* router.add("GET", "/v1/charges", lookup(searchCharges))
  yield* router.add("GET", "/v1/charges/:id", lookup(Effect.flatMap(pathId, ledger.getCharge)))
  yield* router.add("GET", "/v1/refunds/:id", lookup(Effect.flatMap(pathId, ledger.getRefund)))
  yield* router.add("GET", "/v1/ledger", lookup(ledger.snapshot))
  yield* router.add(
    "*",
    "*",
    Effect.map(
      HttpServerRequest.HttpServerRequest,
      (request) => errorResponse(unrecognizedUrl(request.method, request.url))
    )
  )
}))
