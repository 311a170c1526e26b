import { HttpApi, OpenApi } from "effect/http-api"
import { AdminApi } from "./api/AdminApi.ts"
import { RateLimit } from "./api/Authorization.ts"
import { HealthApi } from "./api/HealthApi.ts"
import { documentOpenApi } from "./api/OpenApiDocumentation.ts"
import { OrdersApi } from "./api/OrdersApi.ts"
import { ProductsApi } from "./api/ProductsApi.ts"
import { RequestValidation } from "./api/RequestValidation.ts"

export * from "./api/AdminApi.ts"
export * from "./api/Authorization.ts"
export * from "./api/Cursors.ts"
export * from "./api/HealthApi.ts"
export * from "./api/OrdersApi.ts"
export * from "./api/Pagination.ts"
export * from "./api/ProductsApi.ts"
export * from "./api/RequestValidation.ts"

/**
 * The servers of the committed OpenAPI document: the gateway that serves the document (a relative URL, resolved
 * against the document's own URL) and a local one. A gateway with `PUBLIC_BASE_URL` set serves its public URL instead.
 */
export const DefaultOpenApiServers = [
  { url: "/", description: "The gateway serving this document" },
  { url: "http://localhost:8080", description: "A local gateway (npm start)" }
]

/** The version of the REST contract, in the OpenAPI document. */
export const ShopApiVersion = "1.0.0"

/**
 * The public REST contract of the gateway. Served by the gateway (`HttpApiBuilder.layer(ShopApi)`), called through
 * the typed client of `Sdk.ts`, and documented by `OpenApi.fromApi(ShopApi)`.
 *
 * - JSON members are snake_case; prices are decimals with at most 2 places, exact in cents on both sides.
 * - Request bodies refuse unknown members (`onExcessProperty: "error"`), so no client can set an id, a status, a
 *   line price or reserved stock.
 * - Every 4xx and 5xx body is an RFC 9457 problem (`application/problem+json`): domain errors by their `type`
 *   (see `Problem.ts`), request validation failures as the same `ValidationError` problem as every other 400
 *   (`RequestValidation`), with `field` and an `errors` list.
 * - Server-side, the gateway provides the `Authorization`, `RateLimit` and `RequestValidation` middlewares.
 */
export class ShopApi extends HttpApi.make("ShopApi")
  .add(ProductsApi, OrdersApi, HealthApi, AdminApi)
  .middleware(RateLimit)
  .middleware(RequestValidation)
  .annotate(HttpApi.PayloadParseOptions, { onExcessProperty: "error", errors: "all" })
  .annotateMerge(OpenApi.annotations({
    title: "Shop Mesh API",
    version: ShopApiVersion,
    description: "Catalog, search and orders of the Shop Mesh e-commerce platform. JSON members are snake_case, " +
      "amounts are decimals with at most 2 places, and errors are RFC 9457 problems (application/problem+json).",
    license: { name: "MIT", url: "https://opensource.org/licenses/MIT" },
    servers: DefaultOpenApiServers,
    // Examples, response headers, the Idempotency-Key header and the problem pages: see OpenApiDocumentation.ts
    transform: documentOpenApi
  }))
{}
