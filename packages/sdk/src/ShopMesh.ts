import {
  CreatedProduct,
  CreateOrderRequest,
  CreateProductRequest,
  HealthReport,
  ListOrdersQuery,
  ListProductsQuery,
  OrderAccepted,
  OrderCompleted,
  OrderId,
  OrderJson,
  OrderList,
  ProductDetails,
  ProductId,
  ProductJson,
  ProductList,
  SearchProductsQuery,
  SearchResult,
  ShopClient,
  UpdateProductRequest
} from "@shop/domain"
import { Cause, Context, Effect, Exit, Schema, SchemaIssue } from "effect"
import { FetchHttpClient, HttpClient, type HttpClientResponse } from "effect/http"
import { InvalidRequestError, type ProblemDetails, ProblemError, ShopMeshError } from "./ShopMeshError.ts"
import type * as Wire from "./Wire.ts"

/** Where the gateway is, who calls it, and how. */
export interface ShopMeshOptions {
  /** The gateway's base URL, e.g. `http://localhost:8080` or `https://shop.example.com`. */
  readonly baseUrl: string | URL
  /** A bearer token (JWT); without one only anonymous calls succeed (catalog reads, health). */
  readonly token?: string | undefined
  /** The `fetch` to use; defaults to the global one (Node 20+, browsers, Deno, Bun). */
  readonly fetch?: typeof globalThis.fetch | undefined
}

/** Options of a single call. */
export interface CallOptions {
  /** Aborts the call: its promise rejects with a `ShopMeshError` whose `cause` is the signal's reason. */
  readonly signal?: AbortSignal | undefined
}

/** The answer of the call in flight, so that a failure can be reported with the problem exactly as it was sent. */
const LastResponse = Context.Reference<{ response?: HttpClientResponse.HttpClientResponse }>(
  "@shop-mesh/sdk/LastResponse",
  { defaultValue: () => ({}) }
)

const inputOptions = { onExcessProperty: "error", errors: "all" } as const
const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/** Checks a caller's input against the contract's schema, as the gateway would, before anything is sent. */
const decodeInput = <S extends Schema.Decoder<unknown>>(schema: S, value: unknown, what: string) =>
  Schema.decodeUnknownEffect(schema, inputOptions)(value).pipe(
    Effect.mapError((error) => {
      const issues = formatIssues(error.issue).issues.map((issue) => ({
        path: (issue.path ?? []).map((segment) => typeof segment === "object" ? segment.key : segment),
        message: issue.message
      }))
      const first = issues[0]
      const where = first === undefined || first.path.length === 0 ? "" : `${first.path.join(".")}: `
      return new InvalidRequestError(`invalid ${what}: ${where}${first?.message ?? error.message}`, issues)
    })
  )

/** Writes a decoded answer back as the JSON it travelled as (decimals, strings), the shape of the `Wire` types. */
const toWire = <S extends Schema.Encoder<unknown>>(schema: S) => (value: S["Type"]) =>
  Schema.encodeEffect(schema)(value).pipe(
    Effect.mapError((error) => new ShopMeshError(`cannot represent the answer: ${error.message}`, { cause: error }))
  )

const PlacedOrder = Schema.Union([OrderCompleted, OrderAccepted])

/** Drops members whose value is `undefined`, so that optional query members can be passed as such. */
const defined = <A extends object>(value: A): A =>
  Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as A

const isProblem = (body: unknown): body is ProblemDetails =>
  typeof body === "object" && body !== null && typeof (body as ProblemDetails).status === "number" &&
  typeof (body as ProblemDetails).title === "string" && typeof (body as ProblemDetails).type === "string"

/**
 * The Shop Mesh REST API as Promises: one method per operation, plain JSON in and out (the `Wire` types), every
 * failure a {@link ShopMeshError}. Built on the contract's typed client (`ShopClient`), so inputs are checked and
 * answers decoded with the same schemas the gateway uses.
 *
 * ```ts
 * const shop = new ShopMesh({ baseUrl: "http://localhost:8080", token: process.env.TOKEN })
 * const product = await shop.products.create({ name: "Wireless Mouse", price: 29.99, sku: "MOUSE-001",
 *   inventory: 100, category: "Electronics" })
 * ```
 */
export class ShopMesh {
  private readonly client: Promise<ShopClient["Service"]>

  constructor(options: ShopMeshOptions) {
    const build = Effect.gen(function*() {
      const fetched = yield* HttpClient.HttpClient
      // Remembers each answer (its body is read once and cached) so a failure can show the problem as sent.
      const remembering = HttpClient.tap(fetched, (response) =>
        Effect.gen(function*() {
          const last = yield* LastResponse
          last.response = response
        }))
      return yield* ShopClient.make({ baseUrl: options.baseUrl, token: options.token }).pipe(
        Effect.provideService(HttpClient.HttpClient, remembering)
      )
    }).pipe(
      Effect.provide(FetchHttpClient.layer),
      options.fetch === undefined ? (effect) => effect : Effect.provideService(FetchHttpClient.Fetch, options.fetch)
    )
    this.client = Effect.runPromise(build)
  }

  private async call<A>(
    run: (client: ShopClient["Service"]) => Effect.Effect<A, unknown>,
    options: CallOptions | undefined
  ): Promise<A> {
    const client = await this.client
    const last: { response?: HttpClientResponse.HttpClientResponse } = {}
    const exit = await Effect.runPromiseExit(
      Effect.provideService(run(client), LastResponse, last),
      { signal: options?.signal }
    )
    if (Exit.isSuccess(exit)) return exit.value
    throw await toShopMeshError(exit.cause, last.response, options?.signal)
  }

  /** The catalog: anonymous reads, writes for admins. */
  readonly products = {
    /** `POST /api/v1/products` (admin): creates a product; a duplicate SKU is a 409 `conflict` problem. */
    create: (body: Wire.CreateProductInput, options?: CallOptions): Promise<Wire.CreatedProductResult> =>
      this.call((shop) =>
        decodeInput(CreateProductRequest, body, "product").pipe(
          Effect.flatMap((payload) => shop.products.create({ payload })),
          Effect.flatMap(toWire(CreatedProduct))
        ), options),
    /** `GET /api/v1/products/{id}`: the product with real-time stock; unknown is a 404 `not-found` problem. */
    get: (id: string, options?: CallOptions): Promise<Wire.ProductDetailsResult> =>
      this.call((shop) =>
        decodeInput(ProductId, id, "product id").pipe(
          Effect.flatMap((productId) => shop.products.get({ params: { id: productId } })),
          Effect.flatMap(toWire(ProductDetails))
        ), options),
    /** `PATCH /api/v1/products/{id}` (admin): changes the given members. */
    update: (id: string, patch: Wire.UpdateProductInput, options?: CallOptions): Promise<Wire.Product> =>
      this.call(
        (shop) =>
          Effect.all([decodeInput(ProductId, id, "product id"), decodeInput(UpdateProductRequest, patch, "patch")])
            .pipe(
              Effect.flatMap(([productId, payload]) => shop.products.update({ params: { id: productId }, payload })),
              Effect.flatMap(toWire(ProductJson))
            ),
        options
      ),
    /** `GET /api/v1/products`: a page of the catalog (`page`, or the previous page's `next_cursor`). */
    list: (query: Wire.ListProductsInput = {}, options?: CallOptions): Promise<Wire.ProductListResult> =>
      this.call((shop) =>
        decodeInput(ListProductsQuery, defined(query), "query").pipe(
          Effect.flatMap((decoded) => shop.products.list({ query: decoded })),
          Effect.flatMap(toWire(ProductList))
        ), options),
    /** `GET /api/v1/products/search`: full-text search with category and price filters. */
    search: (query: Wire.SearchProductsInput = {}, options?: CallOptions): Promise<Wire.SearchResultPage> =>
      this.call((shop) =>
        decodeInput(
          SearchProductsQuery,
          defined({
            ...query,
            min_price: query.min_price === undefined ? undefined : String(query.min_price),
            max_price: query.max_price === undefined ? undefined : String(query.max_price)
          }),
          "query"
        ).pipe(
          Effect.flatMap((decoded) => shop.products.search({ query: decoded })),
          Effect.flatMap(toWire(SearchResult))
        ), options)
  }

  /** The caller's orders (a token is required). */
  readonly orders = {
    /**
     * `POST /api/v1/orders`: places an order. Resolves `pending` (202) while its saga runs, else with its outcome;
     * a decline or a stock-out is the order's `failed` status, not a rejection. The same `idempotency_key` again
     * resolves the same order.
     */
    create: (body: Wire.CreateOrderInput, options?: CallOptions): Promise<Wire.PlacedOrder> =>
      this.call((shop) =>
        decodeInput(CreateOrderRequest, body, "order").pipe(
          Effect.flatMap((payload) => shop.orders.create({ payload })),
          Effect.flatMap(toWire(PlacedOrder))
        ), options),
    /** `GET /api/v1/orders/{id}`: the caller's order; another user's order is a 404 `not-found` problem. */
    get: (id: string, options?: CallOptions): Promise<Wire.Order> =>
      this.call((shop) =>
        decodeInput(OrderId, id, "order id").pipe(
          Effect.flatMap((orderId) => shop.orders.get({ params: { id: orderId } })),
          Effect.flatMap(toWire(OrderJson))
        ), options),
    /** `GET /api/v1/orders`: the caller's orders, newest first, optionally of one `status`. */
    list: (query: Wire.ListOrdersInput = {}, options?: CallOptions): Promise<Wire.OrderListResult> =>
      this.call((shop) =>
        decodeInput(ListOrdersQuery, defined(query), "query").pipe(
          Effect.flatMap((decoded) => shop.orders.list({ query: decoded })),
          Effect.flatMap(toWire(OrderList))
        ), options)
  }

  /** The platform's status. */
  readonly health = {
    /** `GET /healthz`: `ok` or `degraded`; a platform that cannot serve is a 503 `unhealthy` problem. */
    check: (options?: CallOptions): Promise<Wire.HealthResult> =>
      this.call((shop) => shop.health.check().pipe(Effect.flatMap(toWire(HealthReport))), options)
  }
}

/** Turns the failure of a call into the error its promise rejects with. */
const toShopMeshError = async (
  cause: Cause.Cause<unknown>,
  response: HttpClientResponse.HttpClientResponse | undefined,
  signal: AbortSignal | undefined
): Promise<ShopMeshError> => {
  if (Cause.hasInterruptsOnly(cause)) {
    return new ShopMeshError("the call was aborted", { cause: signal?.reason })
  }
  const failure = Cause.squash(cause)
  if (failure instanceof ShopMeshError) return failure
  if (response !== undefined && response.status >= 400) {
    const text = await Effect.runPromise(Effect.orElseSucceed(response.text, () => ""))
    let body: unknown = undefined
    try {
      body = JSON.parse(text)
    } catch {
      // not JSON: reported below with the status
    }
    if (isProblem(body)) return new ProblemError(body, response.headers)
    return new ShopMeshError(`the gateway answered ${response.status} without a problem body`, { cause: failure })
  }
  if (response !== undefined) {
    return new ShopMeshError(`the gateway's answer (${response.status}) does not match the contract`, {
      cause: failure
    })
  }
  return new ShopMeshError(`the gateway could not be reached: ${String(failure)}`, { cause: failure })
}
