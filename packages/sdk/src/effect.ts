/**
 * `@shop-mesh/sdk/effect`: the typed Effect client of the Shop Mesh REST API and the contract it is derived from.
 * Amounts are cents (`Cents.make(2999)`), ids and SKUs branded, and every problem the gateway declares comes back as
 * its error class (`NotFound`, `InsufficientStock`...), to be handled with `Effect.catchTag`.
 *
 * ```ts
 * const program = Effect.gen(function*() {
 *   const shop = yield* ShopClient
 *   return yield* shop.products.search({ query: { q: "mouse", limit: 10 } })
 * }).pipe(Effect.provide(ShopClient.layer({ baseUrl: "http://localhost:8080", token })))
 * ```
 */

// The client
export { authorizationClient, ShopClient, type ShopClientOptions } from "@shop/domain"
// The contract: the API, its groups, and the schemas of every request and answer
export {
  AuthenticatedUser,
  Authorization,
  BackendHealth,
  CreatedProduct,
  CreateOrderRequest,
  CreateProductRequest,
  HealthApi,
  HealthReport,
  ListOrdersQuery,
  ListProductsQuery,
  OrderAccepted,
  OrderCompleted,
  OrderItemJson,
  OrderItemRequest,
  OrderJson,
  OrderList,
  OrdersApi,
  PaymentStatusJson,
  ProductDetails,
  ProductJson,
  ProductList,
  ProductsApi,
  ProductSort,
  RateLimit,
  Role,
  SearchFacets,
  SearchHit,
  SearchProductsQuery,
  SearchResult,
  SearchSort,
  ShippingAddressJson,
  ShopApi,
  ShopApiVersion,
  UpdateProductRequest
} from "@shop/domain"
// Errors, and their problem bodies
export {
  Conflict,
  DeadlineExceeded,
  Forbidden,
  IdempotencyKeyReused,
  InsufficientStock,
  InternalError,
  NotFound,
  PaymentDeclined,
  Problem,
  ProblemContentType,
  problemType,
  RateLimited,
  RequestInProgress,
  ServiceUnavailable,
  Unauthorized,
  Unhealthy,
  ValidationError
} from "@shop/domain"
// Values: ids, money, catalog and order members
export {
  Category,
  Cents,
  Currency,
  Email,
  formatDecimal,
  IdempotencyKey,
  OrderId,
  OrderStatus,
  parseDecimal,
  PaymentMethod,
  PhoneNumber,
  ProductDescription,
  ProductId,
  ProductName,
  Quantity,
  SagaId,
  Sku,
  StockQuantity,
  toDecimal,
  UserId
} from "@shop/domain"
