/**
 * The storefront's one door to the gateway: the typed client derived from the REST contract (`ShopClient`, and an
 * `HttpApiClient` of the development API), turned into Promises that resolve with the contract's types and reject
 * with an {@link ApiProblem}. Nothing else in the storefront imports the client or `effect`, so when the client
 * becomes an SDK package with a Promise API, this file is the only one that changes.
 */
import {
  authorizationClient,
  type CreateOrderRequest,
  type CreateProductRequest,
  type DemoPersona,
  DevelopmentApi,
  type ListOrdersQuery,
  type ListProductsQuery,
  type OrderId,
  type ProductId,
  type SearchProductsQuery,
  ShopClient,
  type UpdateProductRequest
} from "@shop/domain"
import { Cause, Effect, Exit, SchemaIssue } from "effect"
import { FetchHttpClient } from "effect/http"
import { HttpApiClient } from "effect/http-api"
import { ApiProblem, type ProblemIssue } from "./ApiProblem.ts"

export { ApiProblem } from "./ApiProblem.ts"

const baseUrl = globalThis.location?.origin ?? "http://127.0.0.1:8080"

const statusOf: Record<string, number> = {
  NotFound: 404,
  ValidationError: 400,
  Conflict: 409,
  InsufficientStock: 409,
  PaymentDeclined: 402,
  IdempotencyKeyReused: 422,
  RequestInProgress: 409,
  ServiceUnavailable: 503,
  DeadlineExceeded: 504,
  Unauthorized: 401,
  Forbidden: 403,
  RateLimited: 429,
  InternalError: 500,
  Unhealthy: 503,
  BadRequestProblem: 400,
  InternalServerErrorProblem: 500
}

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/** Any failure of a call, as the problem the user reads. */
const toProblem = (error: unknown): ApiProblem => {
  const tagged = error as { readonly _tag?: string; readonly message?: string }
  const tag = tagged._tag ?? "Unknown"
  if (tag === "SchemaError") {
    // The client checks every request against the contract before sending it.
    const issues = formatIssues((error as { readonly issue: SchemaIssue.Issue }).issue).issues.map((issue) => ({
      path: (issue.path ?? []).map((segment) => String(typeof segment === "object" ? segment.key : segment)),
      message: issue.message
    }))
    return new ApiProblem({ status: undefined, tag, detail: "The request is not valid", issues })
  }
  if (tag === "HttpClientError") {
    const status = (error as { readonly response?: { readonly status: number } }).response?.status
    return new ApiProblem({
      status,
      tag,
      detail: status === undefined
        ? "The shop could not be reached. Check the connection and try again."
        : `The shop answered an unexpected ${status}.`
    })
  }
  const problemIssues = (error as { readonly errors?: ReadonlyArray<ProblemIssue> }).errors
  return new ApiProblem({
    status: statusOf[tag],
    tag,
    detail: tagged.message ?? String(error),
    issues: (problemIssues ?? []).map((issue) => ({
      // the first segment names the request part (`payload`, `query`): the user only needs the field
      path: issue.path.slice(1).map(String),
      message: issue.message
    }))
  })
}

const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> =>
  Effect.runPromiseExit(effect).then((exit) => {
    if (Exit.isSuccess(exit)) return exit.value
    throw toProblem(Cause.squash(exit.cause))
  })

type Clients = {
  readonly shop: ShopClient["Service"]
  readonly development: HttpApiClient.ForApi<typeof DevelopmentApi>
}

// One pair of clients per token: signing in or out replaces them.
let current: { readonly token: string | undefined; readonly clients: Promise<Clients> } | undefined
const clientsFor = (token: string | undefined): Promise<Clients> => {
  if (current !== undefined && current.token === token) return current.clients
  const make = Effect.all({
    shop: ShopClient.make({ baseUrl, token }),
    development: HttpApiClient.make(DevelopmentApi, { baseUrl }).pipe(Effect.provide(authorizationClient(token)))
  }).pipe(Effect.provide(FetchHttpClient.layer))
  current = { token, clients: Effect.runPromise(make) }
  return current.clients
}

const call = <A, E>(token: string | undefined, f: (clients: Clients) => Effect.Effect<A, E>): Promise<A> =>
  clientsFor(token).then((clients) => run(f(clients)))

/** Every gateway call the storefront and the operator console make; `token` is the signed-in user's, if any. */
export const shop = {
  products: {
    list: (query: ListProductsQuery) => call(undefined, (c) => c.shop.products.list({ query })),
    search: (query: SearchProductsQuery) => call(undefined, (c) => c.shop.products.search({ query })),
    get: (id: ProductId) => call(undefined, (c) => c.shop.products.get({ params: { id } })),
    create: (token: string, payload: CreateProductRequest) => call(token, (c) => c.shop.products.create({ payload })),
    update: (token: string, id: ProductId, payload: UpdateProductRequest) =>
      call(token, (c) => c.shop.products.update({ params: { id }, payload }))
  },
  orders: {
    create: (token: string, payload: CreateOrderRequest) => call(token, (c) => c.shop.orders.create({ payload })),
    get: (token: string, id: OrderId) => call(token, (c) => c.shop.orders.get({ params: { id } })),
    list: (token: string, query: ListOrdersQuery) => call(token, (c) => c.shop.orders.list({ query }))
  },
  admin: {
    orders: (token: string, query: ListOrdersQuery) => call(token, (c) => c.shop.admin.orders({ query })),
    sagas: (token: string) => call(token, (c) => c.shop.admin.sagas()),
    retrySaga: (token: string, orderId: OrderId) =>
      call(token, (c) => c.shop.admin.retrySaga({ params: { order_id: orderId } })),
    refunds: (token: string) => call(token, (c) => c.shop.admin.refunds()),
    retryRefund: (token: string, refundId: string) =>
      call(token, (c) => c.shop.admin.retryRefund({ params: { refund_id: refundId } })),
    deadLetters: (token: string) => call(token, (c) => c.shop.admin.deadLetters()),
    redrive: (token: string, id: string) => call(token, (c) => c.shop.admin.redriveDeadLetter({ params: { id } })),
    breakers: (token: string) => call(token, (c) => c.shop.admin.breakers()),
    consumers: (token: string) => call(token, (c) => c.shop.admin.consumers()),
    outbox: (token: string) => call(token, (c) => c.shop.admin.outbox())
  },
  health: {
    /** The health of the gateway's backends; a required one down is an `Unhealthy` problem with the same map. */
    check: () => call(undefined, (c) => c.shop.health.check())
  },
  development: {
    /** The demo users, or a 404 problem from a production gateway. */
    personas: () => call(undefined, (c) => c.development.development.personas()),
    signIn: (persona: DemoPersona) =>
      call(undefined, (c) => c.development.development.signIn({ payload: { persona } })),
    mail: (token: string, orderId: OrderId) =>
      call(token, (c) => c.development.development.mail({ query: { order_id: orderId } }))
  }
}
