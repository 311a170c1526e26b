import { RequestValidationLive, ShopApi } from "@shop/domain"
import { Layer } from "effect"
import { FetchHttpClient } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { AuthConfig } from "./auth/AuthConfig.ts"
import { AuthorizationLive } from "./auth/AuthorizationLive.ts"
import { JwtVerifier } from "./auth/JwtVerifier.ts"
import { AdminClient } from "./clients/AdminClient.ts"
import { BackendHealth, BackendsRoute } from "./clients/BackendHealth.ts"
import { CatalogReadCache } from "./clients/CatalogReadCache.ts"
import { OrderClient } from "./clients/OrderClient.ts"
import { ProductClient } from "./clients/ProductClient.ts"
import { DevelopmentRoutes } from "./development/DevelopmentRoutes.ts"
import { ApiDocs } from "./docs/ApiDocs.ts"
import { EdgeMiddleware } from "./edge/EdgeMiddleware.ts"
import { HotPath } from "./edge/HotPath.ts"
import { HotReads } from "./edge/HotReads.ts"
import { GatewayConfig } from "./GatewayConfig.ts"
import { AdminHandlers } from "./handlers/AdminHandlers.ts"
import { HealthHandlers } from "./handlers/HealthHandlers.ts"
import { OrdersHandlers } from "./handlers/OrdersHandlers.ts"
import { ProductsHandlers } from "./handlers/ProductsHandlers.ts"
import { RateLimitBuckets } from "./ratelimit/RateLimitBuckets.ts"
import { RateLimitConfig } from "./ratelimit/RateLimitConfig.ts"
import { RateLimitLive } from "./ratelimit/RateLimitLive.ts"
import { StorefrontRoutes } from "./storefront/StorefrontRoutes.ts"

/**
 * The state the API and the hot path (HotPath.ts) share: the verified tokens, the rate-limit buckets and the hot
 * answers. Layers are built once per application, so both sides get the same instances.
 */
const SharedState = Layer.mergeAll(
  JwtVerifier.layer,
  RateLimitBuckets.layerLive.pipe(Layer.provideMerge(RateLimitConfig.layer)),
  HotReads.layer
)

const Middlewares = Layer.mergeAll(
  AuthorizationLive,
  RateLimitLive,
  RequestValidationLive
).pipe(Layer.provide(SharedState))

const Handlers = Layer.mergeAll(ProductsHandlers, OrdersHandlers, HealthHandlers, AdminHandlers).pipe(
  Layer.provide([
    CatalogReadCache.pipe(Layer.provide(ProductClient.layer)),
    OrderClient.layer,
    AdminClient.layer,
    BackendHealth.layer
  ]),
  Layer.provide([Middlewares, SharedState])
)

/**
 * Every route of the gateway: the REST contract, its documentation (`/openapi.json`, `/docs`, `/problems`), the
 * storefront and operator console (`/`, `/admin`), and in development the `/dev/` API, behind the edge middleware.
 * Serve it with `HttpRouter.serve`.
 */
export const GatewayRoutes = Layer.mergeAll(
  HttpApiBuilder.layer(ShopApi).pipe(Layer.provide(Handlers)),
  ApiDocs,
  StorefrontRoutes,
  DevelopmentRoutes,
  EdgeMiddleware.pipe(Layer.provide(SharedState))
).pipe(
  Layer.provide([AuthConfig.layer, FetchHttpClient.layer, GatewayConfig.layer])
)

/** The hot path of the gateway's HTTP server (GatewayHttpServer), on the same state as GatewayRoutes. */
export const GatewayHotPath = HotPath.layer.pipe(
  Layer.provide(SharedState),
  Layer.provide([AuthConfig.layer, GatewayConfig.layer])
)

/** The gateway's own routes on its admin port: `GET /backends`, the health of each backend. */
export const GatewayAdminRoutes = BackendsRoute.pipe(
  Layer.provide(BackendHealth.layer),
  Layer.provide([GatewayConfig.layer, FetchHttpClient.layer])
)
