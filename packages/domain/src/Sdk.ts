import { Context, Effect, Layer, Redacted } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "effect/http"
import { HttpApiClient, HttpApiMiddleware } from "effect/http-api"
import { Authorization } from "./api/Authorization.ts"
import { ShopApi } from "./ShopApi.ts"

/** Where the gateway is and, optionally, the bearer token to call it with. */
export interface ShopClientOptions {
  /** The gateway's base URL, e.g. `http://localhost:8080`. */
  readonly baseUrl: string | URL
  /** A bearer token (JWT); without one, only anonymous endpoints (catalog reads, health) succeed. */
  readonly token?: string | Redacted.Redacted<string> | undefined
}

/** The client side of {@link Authorization}: attaches the bearer token, if any, to endpoints that need it. */
export const authorizationClient = (token: ShopClientOptions["token"]) =>
  HttpApiMiddleware.layerClient(Authorization, ({ next, request }) =>
    next(
      token === undefined
        ? request
        : HttpClientRequest.bearerToken(request, Redacted.isRedacted(token) ? Redacted.value(token) : token)
    ))

/**
 * The typed SDK of {@link ShopApi}: one method per endpoint, grouped like the API
 * (`shop.products.create({ payload })`, `shop.orders.get({ params: { id } })`, `shop.health.check()`), with
 * amounts in cents and every declared error decoded into its domain class.
 */
export class ShopClient extends Context.Service<ShopClient, HttpApiClient.ForApi<typeof ShopApi>>()(
  "domain/ShopClient"
) {
  /** Builds a client on the `HttpClient` of the environment (fetch, Node, or a test double). */
  static readonly make = (options: ShopClientOptions) =>
    HttpApiClient.make(ShopApi, {
      baseUrl: options.baseUrl,
      // Catalog reads carry no Authorization middleware, yet a gateway with CATALOG_PUBLIC=false needs the token.
      transformClient: options.token === undefined
        ? undefined
        : HttpClient.mapRequest((request) =>
          HttpClientRequest.bearerToken(
            request,
            Redacted.isRedacted(options.token) ? Redacted.value(options.token) : options.token!
          )
        )
    }).pipe(
      Effect.provide(authorizationClient(options.token))
    )

  /** The client as a layer, on `HttpClient` of the environment. */
  static readonly layerNoDeps = (options: ShopClientOptions): Layer.Layer<ShopClient, never, HttpClient.HttpClient> =>
    Layer.effect(ShopClient, ShopClient.make(options))

  /** The client as a layer, over the global `fetch`. */
  static readonly layer = (options: ShopClientOptions): Layer.Layer<ShopClient> =>
    ShopClient.layerNoDeps(options).pipe(Layer.provide(FetchHttpClient.layer))
}
